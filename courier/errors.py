"""The one exception hierarchy of the courier: a root and one branch per area."""

from courier.reasons import Reason


class CourierError(Exception):
    """Root of every error the courier raises on purpose."""


class ProtocolError(CourierError):
    """A message or encoding from a peer is malformed or invalid (the peer's fault)."""

    reason: Reason = Reason.INVALID  # what counters, statuses and logs say


class StoreError(CourierError):
    """The cargo store could not do what was asked."""


class SyncError(CourierError):
    """A sync with a gateway failed."""


class ConfigError(CourierError):
    """The configuration is invalid; carries every problem found at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class HardwareError(CourierError):
    """A board device (GPIO, I2C display, RTC) failed; the message says what to do."""


class NetworkError(CourierError):
    """Network setup (hotspot, firewall, addressing, discovery) failed."""
