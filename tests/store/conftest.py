"""Store fixtures: both implementations, and metadata factories."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from courier.store import CargoStore, Direction, FileStore, Kind, MemoryStore, ObjectMeta
from courier.store.keys import CHACHA

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MiB = 1024 * 1024


def meta(*, kind: Kind = Kind.CARGO, direction: Direction = Direction.TO_PRIVATE,
         recipient: str = "0aa", address: str | None = None, sender: str = "0bb",
         message_id: str = "m1", expiry: datetime | None = None, size: int = 0) -> ObjectMeta:
    """Return metadata with sensible defaults."""
    return ObjectMeta(kind=kind, direction=direction, recipient_id=recipient,
                      internet_address=address, sender_id=sender, message_id=message_id,
                      expiry=expiry or NOW + timedelta(days=1), size=size)


def make_store(kind: str, data_dir: Path, quota: int = 64 * MiB,
               reserve: int = 4 * MiB, per_sender: float = 0.5) -> CargoStore:
    """Open a store of either implementation with a small quota."""
    if kind == "memory":
        return MemoryStore(quota_bytes=quota, cca_reserve_bytes=reserve,
                           per_sender_fraction=per_sender)
    return FileStore.open(data_dir, quota_bytes=quota, cca_reserve_bytes=reserve,
                          per_sender_fraction=per_sender,
                          cipher=CHACHA if kind == "file-chacha" else None)


# "file" seals with this CPU's choice (AES-GCM on x86-64), "file-chacha" as a Pi 4 does.
@pytest.fixture(params=["memory", "file", "file-chacha"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CargoStore]:
    """Each contract test runs against both implementations."""
    opened = make_store(request.param, tmp_path)
    yield opened
    opened.close()
