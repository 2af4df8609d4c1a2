"""Parts of the simulated board declared broken: one name per line in `<sim dir>/faults`.

The simulator's stand-in for an unplugged display, a corroded button or a dead LED: while a part's
name (display, button, status-led, activity-led) is in the file, using that part raises the
HardwareError the real driver would; remove the line and the part works again.
"""

import os
from pathlib import Path

from courier.errors import HardwareError

PARTS = frozenset({"display", "button", "status-led", "activity-led"})


class SimFaults:
    """Reads the faults file when it changes (one stat per use: a few uses a second)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._broken: frozenset[str] = frozenset()

    def check(self, part: str) -> None:
        """Raise HardwareError if `part` is declared broken."""
        if part in self.broken():
            raise HardwareError(f"simulated fault: {part} listed in {self.path}")

    def broken(self) -> frozenset[str]:
        """Return the parts declared broken now."""
        if self.path is None:
            return frozenset()
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            self._seen, self._broken = None, frozenset()
            return self._broken
        if (stat.st_mtime_ns, stat.st_size) != self._seen:
            self._seen = (stat.st_mtime_ns, stat.st_size)
            words = self.path.read_text(errors="replace").split()
            self._broken = frozenset(word for word in words if word in PARTS)
        return self._broken
