"""A clock for a device without a battery: a lower bound of time no stranger can move.

Policy (docs/panel.md, "Clock policy"): the lower bound L comes only from sources a stranger on
the hotspot cannot control: the last saved time (state/clock.json, which only ever holds what
these sources and the system clock said), network time (NTP, seen while running too) and a
plausible RTC reading. Network time and the RTC *set* L, also downwards; the saved time only
raises it. Message dates never move L: anybody can mint a key and sign any date. L advances with
the monotonic clock, so it stays a lower bound while the device runs.

- effective now E = max(system now, L): stored cargo expires when expiry <= E, and expired cargo
  is reclaimed at E (nothing a stranger sent took part in E).
- incoming messages are validated at E when the clock is trusted; when it is not, at
  max(E, creation date), and a refusal caused by a date alone is not acknowledged (the sender
  keeps its copy): time is never a reason to drop acknowledged cargo.
- trusted: network time or a plausible RTC reading was seen since boot.
"""

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from courier.atomic import write_atomically

logger = logging.getLogger(__name__)

STATE_FILE = "clock.json"
STATE_VERSION = 2  # version 1 files could hold dates learned from messages: not trusted
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# An RTC reading before this is a reset chip (flat battery), not the time: this firmware did not
# exist before it.
RTC_FLOOR = datetime(2026, 1, 1, tzinfo=UTC)


def system_now() -> datetime:
    """Return the system's time: the one place the product reads it (ruff TID251 bans the rest)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class ClockReading:
    """What the clock says now, for decisions and for the clock screen."""

    effective_now: datetime
    trusted: bool
    source: str  # where the lower bound last came from: saved, network, rtc, none


class TrustedClock:
    """Lower bound of real time, fed by trusted observations; time is always passed in."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.trusted = False
        self.source = "none"
        self._anchor = EPOCH
        self._anchor_monotonic = 0.0

    @classmethod
    def load(cls, state_dir: Path, monotonic: float) -> "TrustedClock":
        """Start from the last saved time (untrusted: the device may have been off for months)."""
        clock = cls(state_dir)
        clock._anchor_monotonic = monotonic
        saved = _read_saved(state_dir / STATE_FILE)
        if saved is not None:
            clock._anchor, clock.source = saved, "saved"
        return clock

    def lower_bound(self, monotonic: float) -> datetime:
        """Return a time real time is known not to be before."""
        return self._anchor + timedelta(seconds=max(0.0, monotonic - self._anchor_monotonic))

    def effective_now(self, system_now: datetime, monotonic: float) -> datetime:
        """Return max(system now, lower bound): the 'now' for expiry and reclaiming."""
        return max(system_now, self.lower_bound(monotonic))

    def reading(self, system_now: datetime, monotonic: float) -> ClockReading:
        """Return the effective now with the trust flag and source."""
        return ClockReading(self.effective_now(system_now, monotonic), self.trusted, self.source)

    def observe_network(self, network_now: datetime, monotonic: float) -> None:
        """Set the time from the network (NTP synchronised): trusted, and may move L down."""
        self._set(network_now, monotonic, "network")
        self.trusted = True

    def observe_rtc(self, rtc_now: datetime, monotonic: float) -> bool:
        """Set the time from a battery-backed RTC unless its reading is implausible."""
        if rtc_now < RTC_FLOOR:
            logger.warning("RTC reads a date before this firmware existed: ignored (battery flat?)")
            return False
        if self.trusted and self.source == "network":
            return False  # network time is better; the RTC is set from it, not the other way
        self._set(rtc_now, monotonic, "rtc")
        self.trusted = True
        return True

    def validation_now(self, creation_date: datetime, system_now: datetime,
                       monotonic: float) -> datetime:
        """Return the `now` to validate an incoming message with (see the module policy)."""
        now = self.effective_now(system_now, monotonic)
        return now if self.trusted else max(now, creation_date)

    def save(self, system_now: datetime, monotonic: float) -> datetime:
        """Persist the effective now atomically as the next boot's lower bound; return it."""
        now = self.effective_now(system_now, monotonic)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.state_dir / STATE_FILE, json.dumps(
            {"version": STATE_VERSION, "lower_bound": now.isoformat()}).encode(), 0o644)
        return now

    def forget(self) -> None:
        """Panic wipe: delete the saved time and start again from nothing."""
        with contextlib.suppress(FileNotFoundError):
            (self.state_dir / STATE_FILE).unlink()
        self._anchor, self._anchor_monotonic = EPOCH, 0.0
        self.source, self.trusted = "none", False

    def _set(self, value: datetime, monotonic: float, source: str) -> None:
        """Put the lower bound at `value`, up or down (trusted sources only)."""
        self._anchor, self._anchor_monotonic, self.source = value, monotonic, source


def _read_saved(path: Path) -> datetime | None:
    """Return the saved lower bound, or None if missing, unreadable or from an older policy."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("version") != STATE_VERSION:
            logger.warning("saved clock %s predates the current clock policy: ignored", path)
            return None
        value = datetime.fromisoformat(raw["lower_bound"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        logger.warning("unreadable saved clock %s: %s", path, type(error).__name__)
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC)
