"""The Wi-Fi uplink sequence for an Internet sync, as a state machine (sans-I/O, time injected).

Close the hotspot (one radio: never access point and client at once), scan, join the strongest
known network in range (the next one if that fails), get an address, check that the Internet
answers, sync, leave. Events go in with `now`; actions come out for the daemon and the
privileged helper to carry out; every failure ends in words for the panel.
Everything that affects transitions lives in this file.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Seconds each step may take before it counts as failed.
DEADLINES = {"closing": 10.0, "scanning": 15.0, "joining": 30.0, "addressing": 20.0,
             "checking": 10.0, "leaving": 10.0}


class Step(StrEnum):
    """Where the sequence is."""

    IDLE = "idle"
    CLOSING = "closing"
    SCANNING = "scanning"
    JOINING = "joining"
    ADDRESSING = "addressing"
    CHECKING = "checking"
    SYNCING = "syncing"
    LEAVING = "leaving"


class Failure(StrEnum):
    """Why a Wi-Fi uplink sync did not happen, in the panel's words ({name}: the network's)."""

    NO_NETWORKS = "No Wi-Fi networks set: add one in courier.toml on the SD card"
    NONE_IN_RANGE = "No known Wi-Fi in range"
    WRONG_PASSPHRASE = "Wrong Wi-Fi passphrase for {name}"  # noqa: S105 - words, not a secret
    JOIN_FAILED = "Could not join {name}"
    NO_ADDRESS = "Wi-Fi {name} gave no address (DHCP)"
    CAPTIVE_PORTAL = "Wi-Fi {name} has no Internet (captive portal?)"
    NO_INTERNET = "Wi-Fi {name} has no Internet"  # not even DNS answers
    SYNC_FAILED = "Internet sync failed; cargo is kept"
    HELPER = "Network helper not answering"

    def words(self, name: str) -> str:
        """Return the words for the courier, naming the network concerned."""
        return self.value.replace("{name}", name or "the network")


# ---- events (in) ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Start:
    """The button asked for an Internet sync and there is no wired uplink."""

    hotspot_open: bool


@dataclass(frozen=True)
class HotspotClosed:
    """The helper closed the hotspot."""


@dataclass(frozen=True)
class Scanned:
    """Networks in range: name -> signal in dBm."""

    visible: Mapping[str, int]


@dataclass(frozen=True)
class Joined:
    """The radio associated and authenticated."""


@dataclass(frozen=True)
class JoinFailed:
    """Association failed; wrong_key when the network refused the passphrase."""

    wrong_key: bool


@dataclass(frozen=True)
class Addressed:
    """DHCP gave an address and a default route."""


@dataclass(frozen=True)
class Reached:
    """Outcome of the Internet check: DNS answered, the gateway's port answered."""

    dns: bool
    gateway: bool


@dataclass(frozen=True)
class Synced:
    """The Internet sync ended."""

    ok: bool


@dataclass(frozen=True)
class Left:
    """The radio left the network."""


@dataclass(frozen=True)
class Tick:
    """Time passes (deadlines)."""


@dataclass(frozen=True)
class HelperFailed:
    """The privileged helper refused or did not answer."""


Event = (Start | HotspotClosed | Scanned | Joined | JoinFailed | Addressed | Reached | Synced
         | Left | Tick | HelperFailed)


# ---- actions (out) ----------------------------------------------------------------------------
@dataclass(frozen=True)
class CloseHotspot:
    """Ask the helper to close the hotspot."""


@dataclass(frozen=True)
class Scan:
    """Ask the helper to scan."""


@dataclass(frozen=True)
class Join:
    """Ask the helper to join this known network."""

    name: str


@dataclass(frozen=True)
class RequestAddress:
    """Ask the helper for DHCP on the client interface."""


@dataclass(frozen=True)
class CheckInternet:
    """Resolve and connect to the Internet gateway (the daemon does it, unprivileged)."""


@dataclass(frozen=True)
class RunSync:
    """Run the Internet sync (courier.app.internet_sync's entry point)."""


@dataclass(frozen=True)
class Leave:
    """Ask the helper to leave the network and stop the client."""


@dataclass(frozen=True)
class Say:
    """Words for the panel."""

    text: str


@dataclass(frozen=True)
class Finished:
    """The sequence is over: back to idle (the hotspot stays closed until the next press)."""

    ok: bool
    failure: Failure | None = None


Action = (CloseHotspot | Scan | Join | RequestAddress | CheckInternet | RunSync | Leave | Say
          | Finished)


@dataclass
class WifiUplink:
    """One Internet sync over Wi-Fi at a time; handle(event, now) returns the actions."""

    known: tuple[str, ...]
    step: Step = Step.IDLE
    failure: Failure | None = None
    synced: bool = False
    network: str = ""  # the network being joined or used
    _failed_on: str = ""  # the network the failure is about
    _candidates: list[str] = field(default_factory=list)
    _deadline: float | None = None

    def handle(self, event: Event, now: float) -> list[Action]:
        """Return what to do after `event` at monotonic time `now`."""
        if isinstance(event, Tick):
            late = self._deadline is not None and now >= self._deadline
            return self._fail(_TIMEOUTS[self.step], now) if late else []
        if isinstance(event, HelperFailed) and self.step not in (Step.IDLE, Step.LEAVING):
            return self._fail(Failure.HELPER, now)
        handler = _TABLE.get((self.step, type(event)))
        return handler(self, event, now) if handler is not None else []

    def _go(self, step: Step, now: float, *actions: Action) -> list[Action]:
        self.step = step
        limit = DEADLINES.get(step.value)
        self._deadline = None if limit is None else now + limit
        if step not in _PROGRESS:
            return list(actions)
        # Said before it is done: the panel shows what the courier is waiting for.
        return [Say(_PROGRESS[step].replace("{name}", self.network or "Wi-Fi")), *actions]

    def _blame(self, failure: Failure) -> None:
        """Record a failure about the current network, unless an earlier one is told."""
        if self.failure is None:
            self.failure, self._failed_on = failure, self.network

    def _fail(self, failure: Failure, now: float) -> list[Action]:
        """Leave the network (if any) and report; the first failure is the one told."""
        self._blame(failure)
        if self.step in (Step.IDLE, Step.CLOSING):
            return self._finish()  # the client never started
        # A scan started the client, even when nothing was joined: stop it.
        return self._go(Step.LEAVING, now, Leave())

    def _finish(self) -> list[Action]:
        self.step, self._deadline = Step.IDLE, None
        ok = self.synced and self.failure is None
        return [*([Say(self.failure.words(self._failed_on))] if self.failure else []),
                Finished(ok, self.failure)]

    # ---- transitions ----------------------------------------------------------------------
    def _start(self, event: Start, now: float) -> list[Action]:
        self.failure, self.synced, self.network = None, False, ""
        if not self.known:
            self.failure = Failure.NO_NETWORKS
            return self._finish()
        if event.hotspot_open:
            return self._go(Step.CLOSING, now, CloseHotspot())
        return self._go(Step.SCANNING, now, Scan())

    def _closed(self, _: HotspotClosed, now: float) -> list[Action]:
        return self._go(Step.SCANNING, now, Scan())

    def _scanned(self, event: Scanned, now: float) -> list[Action]:
        in_range = [name for name in self.known if name in event.visible]
        self._candidates = sorted(in_range, key=lambda name: -event.visible[name])
        if not self._candidates:
            return self._fail(Failure.NONE_IN_RANGE, now)
        return self._join_next(now)

    def _join_next(self, now: float) -> list[Action]:
        self.network = self._candidates.pop(0)
        return self._go(Step.JOINING, now, Join(self.network))

    def _join_failed(self, event: JoinFailed, now: float) -> list[Action]:
        failure = Failure.WRONG_PASSPHRASE if event.wrong_key else Failure.JOIN_FAILED
        if self._candidates:  # the next strongest known network
            self._blame(failure)
            return self._join_next(now)
        return self._fail(failure, now)

    def _joined(self, _: Joined, now: float) -> list[Action]:
        self.failure = None  # an earlier network's refusal no longer matters
        return self._go(Step.ADDRESSING, now, RequestAddress())

    def _addressed(self, _: Addressed, now: float) -> list[Action]:
        return self._go(Step.CHECKING, now, CheckInternet())

    def _reached(self, event: Reached, now: float) -> list[Action]:
        if event.gateway:
            return self._go(Step.SYNCING, now, RunSync())
        # DNS answers but nothing else does: a portal intercepting until someone signs in.
        return self._fail(Failure.CAPTIVE_PORTAL if event.dns else Failure.NO_INTERNET, now)

    def _synced(self, event: Synced, now: float) -> list[Action]:
        self.synced = event.ok
        if not event.ok:
            self._blame(Failure.SYNC_FAILED)
        return self._go(Step.LEAVING, now, Leave())

    def _left(self, _: Left, now: float) -> list[Action]:
        return self._finish()


_PROGRESS = {Step.CLOSING: "Closing the hotspot", Step.SCANNING: "Looking for Wi-Fi",
             Step.JOINING: "Joining {name}", Step.ADDRESSING: "Getting an address from {name}",
             Step.CHECKING: "Checking the Internet through {name}",
             Step.SYNCING: "Syncing through {name}", Step.LEAVING: "Leaving {name}"}
_TIMEOUTS = {Step.IDLE: Failure.HELPER, Step.CLOSING: Failure.HELPER,
             Step.SCANNING: Failure.HELPER, Step.JOINING: Failure.JOIN_FAILED,
             Step.ADDRESSING: Failure.NO_ADDRESS, Step.CHECKING: Failure.NO_INTERNET,
             Step.SYNCING: Failure.SYNC_FAILED, Step.LEAVING: Failure.HELPER}
Handler = Callable[["WifiUplink", Any, float], list[Action]]
_TABLE: dict[tuple[Step, type], Handler] = {
    (Step.IDLE, Start): WifiUplink._start,
    (Step.CLOSING, HotspotClosed): WifiUplink._closed,
    (Step.SCANNING, Scanned): WifiUplink._scanned,
    (Step.JOINING, Joined): WifiUplink._joined,
    (Step.JOINING, JoinFailed): WifiUplink._join_failed,
    (Step.ADDRESSING, Addressed): WifiUplink._addressed,
    (Step.CHECKING, Reached): WifiUplink._reached,
    (Step.SYNCING, Synced): WifiUplink._synced,
    (Step.LEAVING, Left): WifiUplink._left,
}
