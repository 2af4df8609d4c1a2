"""What the last Internet sync left behind, kept where `courier status` can read it.

Only sizes: cargo the uplink was too slow to carry (kept for a faster one), and no address,
since the store hides Internet gateways' names behind keyed hashes (docs/store.md).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from courier.atomic import write_atomically

FILE = Path("state") / "last-internet-sync.json"


@dataclass(frozen=True)
class SyncOutcome:
    """The last sync's time, success, and the sizes of cargo too big for its uplink."""

    at: str = ""
    ok: bool = True
    too_big_for_uplink: tuple[int, ...] = ()

    @property
    def note(self) -> str | None:
        """Return "uplink too slow for 1 cargo of 8.4 MB" (or None)."""
        return slow_uplink_note(self.too_big_for_uplink)


def slow_uplink_note(sizes: Sequence[int]) -> str | None:
    """Return "uplink too slow for 1 cargo of 8.4 MB" for cargo kept for a faster uplink."""
    if not sizes:
        return None
    count, largest = len(sizes), max(sizes) / 1e6
    return (f"uplink too slow for 1 cargo of {largest:.1f} MB" if count == 1 else
            f"uplink too slow for {count} cargo, largest {largest:.1f} MB")


def record(data_dir: Path, at: datetime, ok: bool, too_big: list[int]) -> None:
    """Write the outcome atomically (worker thread)."""
    (data_dir / FILE).parent.mkdir(parents=True, exist_ok=True)
    write_atomically(data_dir / FILE, json.dumps(
        {"at": at.isoformat(), "ok": ok, "too_big_for_uplink": sorted(too_big)}).encode())


def read_outcome(data_dir: Path) -> SyncOutcome | None:
    """Return the last outcome, or None if no sync has run (or its record is unreadable)."""
    try:
        data = json.loads((data_dir / FILE).read_text())
        return SyncOutcome(str(data["at"]), bool(data["ok"]),
                           tuple(int(size) for size in data["too_big_for_uplink"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
