"""The session state machine: one transition table, time passed in, actions out (sans-I/O).

Everything that decides a transition lives in TABLE (courier.panel.session_table). The machine
only refines an input event into a table key (a short press is PRESS_ONLINE with a wired uplink,
else PRESS_WIFI when Wi-Fi uplinks are set and the hotspot may close, else PRESS_OFFLINE; a Tick
is an IDLE_TIMEOUT once the hotspot has been idle long enough; an UpdateOffered is a CONDITION)
and resolves symbolic targets: SAME (stay), REST (the idle state the current conditions call for:
an update offer first), RESUME (back to what was going on before a wipe countdown) and SETTLE
(REST in always-open mode, else SAME). Table actions run before the target is resolved (a
dismissed offer changes what REST means). Entering a state adds
its entry actions: open or close the hotspot as the state requires, show its first screen, set
its status LED pattern. Pairs missing from the table are ignored on purpose: hardware events
arrive in any state.
"""

import logging
from dataclasses import dataclass

from courier.panel.session_table import (
    SCREENS,
    STATUS_LED,
    SYNCING,
    TABLE,
    Do,
    Go,
    Transition,
)
from courier.panel.session_types import (
    Action,
    ClientActivity,
    ClockChanged,
    CloseHotspot,
    Event,
    FaultChanged,
    InstallUpdate,
    InternetSyncFinished,
    Kind,
    LongPress,
    NoWifiInRange,
    OpenHotspot,
    PowerOn,
    Problem,
    Screen,
    SetStatusLed,
    ShortPress,
    ShowScreen,
    StartInternetSync,
    StartWifiSync,
    State,
    StopInternetSync,
    StorageChanged,
    Tick,
    UpdateFinished,
    UpdateOffered,
    UplinkChanged,
    WipeArmed,
    WipeCancelled,
    WipeConfirmed,
    WipeFinished,
)

__all__ = ["SCREENS", "STATUS_LED", "TABLE", "Do", "Go", "SessionMachine", "SessionSettings",
           "Transition"]
logger = logging.getLogger(__name__)

_PLAIN_KINDS: dict[type, Kind] = {
    LongPress: Kind.LONG_PRESS, WipeArmed: Kind.WIPE_ARMED, WipeCancelled: Kind.WIPE_CANCELLED,
    WipeConfirmed: Kind.WIPE_CONFIRMED, WipeFinished: Kind.WIPE_DONE,
}


@dataclass(frozen=True)
class SessionSettings:
    """Session behaviour from the [session] configuration."""

    idle_close_seconds: float = 600.0
    always_open: bool = False
    wifi_uplink: bool = False  # Wi-Fi uplink networks are set (never used when always open)

    @property
    def wifi_press(self) -> bool:
        """Tell whether a press without a wired uplink looks for Wi-Fi (the hotspot may close)."""
        return self.wifi_uplink and not self.always_open


class SessionMachine:
    """Feed events with the monotonic time; do the returned actions in order."""

    def __init__(self, settings: SessionSettings = SessionSettings()) -> None:
        self.settings = settings
        self.state = State.BOOT
        self.hotspot_open = False
        self.uplink = False
        self.storage_full = False
        self.clock_trusted = False
        self.fault = False
        self.sync_failed = False
        self.sync_running = False
        self.over_wifi = False  # the last sync started went over Wi-Fi
        self.update_offer: str | None = None  # the system update version offered now
        self.update_serial = 0  # the helper's serial of that offer
        self.update_dismissed: str | None = None  # "not now" or failed: not shown until changed
        self.update_failed = False
        self.updating = False
        self._installing: str | None = None  # the version the helper is installing
        self.screen_index = 0
        self.last_activity = 0.0
        self._resume = State.IDLE

    @property
    def screen(self) -> Screen:
        """Return the screen shown now."""
        return SCREENS[self.state][self.screen_index]

    @property
    def problem(self) -> Problem | None:
        """Return what the problem screen must explain, if anything."""
        if self.fault:
            return Problem.HARDWARE_FAULT
        if self.update_failed:
            return Problem.UPDATE_FAILED
        if self.sync_failed:
            return Problem.WIFI_FAILED if self.over_wifi else Problem.SYNC_FAILED
        if self.storage_full:
            return Problem.STORAGE_FULL
        if not self.clock_trusted:
            return Problem.CLOCK_UNTRUSTED
        return None

    def next_deadline(self) -> float | None:
        """Return when a Tick may change something (the idle close), or None."""
        if self.state is State.HOTSPOT and not self.settings.always_open:
            return self.last_activity + self.settings.idle_close_seconds
        return None

    def handle(self, event: Event, now: float) -> list[Action]:
        """Apply one event at monotonic time `now`; return what the daemon must do."""
        kind = self._refine(event, now)
        if kind is None:
            return []
        transition = TABLE.get((self.state, kind))
        if transition is None:
            logger.debug("session: %s ignored in %s", kind, self.state)
            return []
        done = [expanded for action in transition.actions for expanded in self._do(action)]
        target = self._resolve(transition.target)  # after the actions: a dismissal counts
        actions: list[Action] = []
        if target is not self.state:
            actions.extend(self._hotspot_for(target))
        actions.extend(done)
        if target is not self.state:
            actions.extend(self._enter(target, now))
        return actions

    def _refine(self, event: Event, now: float) -> Kind | None:
        """Update the context from the event; return the table key it stands for."""
        plain = _PLAIN_KINDS.get(type(event))
        if plain is not None:
            return plain
        match event:
            case PowerOn():
                self.clock_trusted, self.storage_full = event.clock_trusted, event.storage_full
                self.uplink = event.uplink
                return Kind.POWER_ON
            case ShortPress():
                self.sync_failed = self.update_failed = False  # a press acknowledges a failure
                if self.uplink:
                    return Kind.PRESS_ONLINE
                return Kind.PRESS_WIFI if self.settings.wifi_press else Kind.PRESS_OFFLINE
            case ClientActivity():
                self.last_activity = now
                return Kind.CLIENT_ACTIVITY
            case Tick():
                deadline = self.next_deadline()
                return Kind.IDLE_TIMEOUT if deadline is not None and now >= deadline else None
            case InternetSyncFinished():
                self.sync_running = False
                self.sync_failed = not event.ok
                return Kind.SYNC_DONE if event.ok else Kind.SYNC_FAILED
            case NoWifiInRange():
                self.sync_running = False
                return Kind.NO_WIFI
            case UpdateFinished():
                return self._update_finished(event.ok)
        self._condition(event)
        return Kind.CONDITION

    def _condition(self, event: Event) -> None:
        """Record a changed condition (uplink, storage, clock, fault, update offer)."""
        match event:
            case UplinkChanged():
                self.uplink = event.up
            case StorageChanged():
                self.storage_full = event.full
            case ClockChanged():
                self.clock_trusted = event.trusted
            case FaultChanged():
                self.fault = event.active
            case UpdateOffered():
                if (event.version, event.serial) != (self.update_offer, self.update_serial):
                    self.update_dismissed = None  # withdrawn, changed or offered afresh: ask again
                self.update_offer, self.update_serial = event.version, event.serial

    def _update_finished(self, ok: bool) -> Kind | None:
        """Record the end of an install (even during a wipe); return its kind."""
        if not self.updating:
            return None  # no install asked for: nothing to report
        self.updating, self.update_failed = False, not ok
        # Installed (rebooting into it) or failed: either way not offered again as it is.
        self.update_dismissed, self._installing = self._installing, None
        return Kind.UPDATE_DONE if ok else Kind.UPDATE_FAILED

    def _resolve(self, target: State | Go) -> State:
        """Turn a symbolic target into a state."""
        if target is Go.SAME:
            return self.state
        if target is Go.RESUME:
            if self._resume is State.HOTSPOT and self.hotspot_open:
                return State.HOTSPOT
            if self._resume in SYNCING and self.sync_running:
                return self._resume
            if self._resume is State.UPDATING and self.updating:
                return State.UPDATING
            return self._rest()
        if target is Go.REST or (target is Go.SETTLE and self.settings.always_open):
            return self._rest()
        if target is Go.SETTLE:
            return self.state
        return target

    def _rest(self) -> State:
        """Return the idle state the conditions call for (most urgent first)."""
        if self.update_offer is not None and self.update_offer != self.update_dismissed:
            return State.UPDATE_OFFER  # a stick plugged in on purpose: ask about it now
        if self.fault or self.sync_failed or self.update_failed:
            return State.ERROR
        if self.storage_full:
            return State.STORAGE_FULL
        if not self.clock_trusted:
            return State.CLOCK_UNTRUSTED
        return State.HOTSPOT if self.settings.always_open else State.IDLE

    def _hotspot_for(self, target: State) -> list[Action]:
        """Open or close the hotspot as the target state requires."""
        if target is State.WIPE_COUNTDOWN:
            return []  # holding the button changes nothing until the wipe is confirmed
        wanted = target is State.HOTSPOT or (
            self.settings.always_open and target not in (State.WIPING, State.WIPED))
        if wanted == self.hotspot_open:
            return []
        self.hotspot_open = wanted
        return [OpenHotspot() if wanted else CloseHotspot()]

    def _do(self, action: Action | Do) -> list[Action]:
        """Expand a table action."""
        if action is Do.NEXT_SCREEN:
            self.screen_index = (self.screen_index + 1) % len(SCREENS[self.state])
            return [ShowScreen(self.screen)]
        if action is Do.HOME_SCREEN:
            self.screen_index = 0
            return [ShowScreen(self.screen)]
        if action is Do.DISMISS_UPDATE:
            self.update_dismissed = self.update_offer
            return []
        if action is Do.INSTALL:
            # UPDATE_OFFER is only ever entered (and left on any change) with an offer set.
            assert self.update_offer is not None, "an install without an offer"
            self.updating, self._installing = True, self.update_offer
            return [InstallUpdate(self.update_offer)]
        assert not isinstance(action, Do)
        if isinstance(action, StartInternetSync | StartWifiSync | StopInternetSync):
            self.sync_running = not isinstance(action, StopInternetSync)
        if isinstance(action, StartInternetSync | StartWifiSync):
            self.over_wifi = isinstance(action, StartWifiSync)
        return [action]

    def _enter(self, target: State, now: float) -> list[Action]:
        """Switch state; return the entry actions (screen and LED)."""
        if target is State.WIPE_COUNTDOWN:
            self._resume = self.state
        if target is State.HOTSPOT:
            self.last_activity = now
        logger.info("session: %s -> %s", self.state, target)
        self.state, self.screen_index = target, 0
        return [ShowScreen(self.screen), SetStatusLed(STATUS_LED[target])]
