"""A clock for a device without a battery: a trusted lower bound of time and an 'effective now'.

Policy (docs/panel.md, "Clock policy"):
- lower bound L: the largest of the last saved time (state/clock.json, written atomically), network
  time, an RTC reading, and dates of validly signed messages (creation date minus the drift
  tolerance, agreed by `quorum` distinct senders). L advances with the monotonic clock, so it stays
  a lower bound while the device runs, whatever the system clock does.
- effective now E = max(system now, L). Stored cargo is expired when expiry <= E: a clock that is
  behind never serves expired cargo. Incoming messages are validated at E when the clock is
  trusted; when it is not, at max(E, creation date): a message never looks "from the future" only
  because our clock is behind, so good cargo is never refused (its expiry is still checked).
- trusted: network time or a plausible RTC reading was seen since boot.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from courier.atomic import write_atomically

logger = logging.getLogger(__name__)

STATE_FILE = "clock.json"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_SENDERS = 16  # enough for a quorum; bounded against a flood of fresh sender ids


@dataclass(frozen=True)
class ClockReading:
    """What the clock says now, for decisions and for the clock screen."""

    effective_now: datetime
    trusted: bool
    source: str  # where the lower bound last came from: saved, network, rtc, messages, none


class TrustedClock:
    """Lower bound of real time, fed by observations; time is always passed in."""

    def __init__(self, state_dir: Path, *, drift_tolerance: timedelta = timedelta(hours=2),
                 quorum: int = 2) -> None:
        self.state_dir = state_dir
        self.drift_tolerance = drift_tolerance
        self.quorum = max(1, quorum)
        self.trusted = False
        self.source = "none"
        self._anchor = EPOCH
        self._anchor_monotonic = 0.0
        self._senders: dict[str, datetime] = {}

    @classmethod
    def load(cls, state_dir: Path, monotonic: float, *,
             drift_tolerance: timedelta = timedelta(hours=2), quorum: int = 2) -> "TrustedClock":
        """Start from the last saved time (untrusted: the device may have been off for months)."""
        clock = cls(state_dir, drift_tolerance=drift_tolerance, quorum=quorum)
        clock._anchor_monotonic = monotonic
        saved = _read_saved(state_dir / STATE_FILE)
        if saved is not None:
            clock._anchor, clock.source = saved, "saved"
        return clock

    def lower_bound(self, monotonic: float) -> datetime:
        """Return a time real time is known not to be before."""
        return self._anchor + timedelta(seconds=max(0.0, monotonic - self._anchor_monotonic))

    def effective_now(self, system_now: datetime, monotonic: float) -> datetime:
        """Return max(system now, lower bound): the 'now' for expiry decisions."""
        return max(system_now, self.lower_bound(monotonic))

    def reading(self, system_now: datetime, monotonic: float) -> ClockReading:
        """Return the effective now with the trust flag and source."""
        return ClockReading(self.effective_now(system_now, monotonic), self.trusted, self.source)

    def observe_network(self, network_now: datetime, monotonic: float) -> None:
        """Record time from the network (NTP synchronised, or an Internet gateway): trusted."""
        self._raise(network_now, monotonic, "network")
        self.trusted = True

    def observe_rtc(self, rtc_now: datetime, monotonic: float) -> bool:
        """Record a battery-backed RTC reading; trust it only if not behind the lower bound."""
        if rtc_now < self.lower_bound(monotonic):
            logger.warning("RTC is behind the last saved time: ignored (battery flat?)")
            return False
        self._raise(rtc_now, monotonic, "rtc")
        self.trusted = True
        return True

    def observe_message(self, sender_id: str, creation_date: datetime, monotonic: float) -> None:
        """Record the creation date of a validly signed message (call only after validation).

        A sender's clock may run ahead by up to the drift tolerance, and one sender could lie: the
        bound moves only to a date that `quorum` distinct senders vouch for. Ignored once trusted.
        """
        if self.trusted:
            return
        claim = creation_date - self.drift_tolerance
        if claim <= self._senders.get(sender_id, EPOCH):
            return
        self._senders[sender_id] = claim
        if len(self._senders) > _MAX_SENDERS:
            del self._senders[min(self._senders, key=self._senders.__getitem__)]
        claims = sorted(self._senders.values(), reverse=True)
        if len(claims) >= self.quorum:
            self._raise(claims[self.quorum - 1], monotonic, "messages")

    def validation_now(self, creation_date: datetime, system_now: datetime,
                       monotonic: float) -> datetime:
        """Return the `now` to validate an incoming message with (see the module policy)."""
        now = self.effective_now(system_now, monotonic)
        return now if self.trusted else max(now, creation_date)

    def is_expired(self, expiry: datetime, system_now: datetime, monotonic: float) -> bool:
        """Tell whether stored cargo with this expiry must no longer be served or delivered."""
        return expiry <= self.effective_now(system_now, monotonic)

    def save(self, system_now: datetime, monotonic: float) -> datetime:
        """Persist the effective now atomically as the next boot's lower bound; return it."""
        now = self.effective_now(system_now, monotonic)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.state_dir / STATE_FILE,
                         json.dumps({"lower_bound": now.isoformat()}).encode(), 0o644)
        return now

    def _raise(self, value: datetime, monotonic: float, source: str) -> None:
        """Move the lower bound up to `value` (never down)."""
        if value > self.lower_bound(monotonic):
            self._anchor, self._anchor_monotonic, self.source = value, monotonic, source


def _read_saved(path: Path) -> datetime | None:
    """Return the saved lower bound, or None if missing or unreadable (then start at the epoch)."""
    try:
        value = datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["lower_bound"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.warning("unreadable saved clock %s: %s", path, type(error).__name__)
        return None
    if value.tzinfo is None:
        return None
    return value.astimezone(UTC)
