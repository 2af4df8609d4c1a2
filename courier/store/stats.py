"""Counts and sizes of a store, readable without its key (`courier status`)."""

import os
from pathlib import Path

from courier.errors import StoreError
from courier.store import index
from courier.store.model import Direction, Kind, StoreStats


def filesystem_bytes(path: Path) -> int:
    """Return the size of the filesystem holding `path`."""
    info = os.statvfs(path)
    return info.f_blocks * info.f_frsize


def make_stats(by_kind: dict[tuple[str, str], tuple[int, int]], used: int, quota: int,
               root: Path, quarantine: Path) -> StoreStats:
    """Return the stats from index counts, bytes used and the filesystem's free space."""
    def count(kind: Kind, direction: Direction | None = None) -> int:
        return sum(n for (k, d), (n, _) in by_kind.items()
                   if k == kind.value and (direction is None or d == direction.value))
    info = os.statvfs(root)
    quarantined = sum(1 for _ in quarantine.iterdir()) if quarantine.exists() else 0
    return StoreStats(
        cargo_to_internet=count(Kind.CARGO, Direction.TO_INTERNET),
        cargo_to_private=count(Kind.CARGO, Direction.TO_PRIVATE), ccas=count(Kind.CCA),
        bytes=used, quota_bytes=quota, free_bytes=info.f_bavail * info.f_frsize,
        quarantined=quarantined, payload_bytes=sum(size for _, size in by_kind.values()))


def quota_total(store_dir: Path, quota_bytes: int, quota_fraction: float) -> int:
    """Return the quota in bytes: as configured, or a fraction of the filesystem."""
    return quota_bytes or int(quota_fraction * filesystem_bytes(store_dir))


def read_stats(data_dir: Path, quota_bytes: int = 0, quota_fraction: float = 0.8) -> StoreStats:
    """Return the store's counts without the key, even while another process has it open."""
    root = Path(data_dir) / "store"
    database = root / "index.sqlite"
    if not database.exists():
        raise StoreError(f"no store in {data_dir}")
    connection = index.connect(database, readonly=True)
    try:
        by_kind = index.counts(connection)
        used = index.usage(connection, b"")[0]
    finally:
        connection.close()
    return make_stats(by_kind, used, quota_total(root, quota_bytes, quota_fraction), root,
                  root / "quarantine")
