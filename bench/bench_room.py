"""Room on the card: accounted against real bytes on ext4, and reclaiming expired objects."""

import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.bench_store import NOW, _meta, _populate
from bench.common import Figure
from courier.store import FileStore


def _real_bytes(folder: Path) -> int:
    """Return the bytes the files under `folder` take on the filesystem (du)."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            total += os.stat(Path(root) / name).st_blocks * 512
    return total


def _accounted_vs_real(folder: Path, size: int, count: int) -> tuple[float, float]:
    """Store `count` objects of `size`; return (accounted, real) bytes per object."""
    store = FileStore.open(folder, quota_bytes=1 << 40, per_sender_fraction=1.0)
    payload = os.urandom(size)
    for first in range(0, count, 50):
        store.put_many([(_meta(i, size), payload) for i in range(first, min(count, first + 50))])
    accounted = store.stats().bytes
    store.close()  # checkpoints the index's WAL to its cap, as a long-running store would be
    return accounted / count, _real_bytes(folder / "store") / count


def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as work:
        base = Path(work)
        for size, count, label in ((4096, 500 if quick else 5000, "4 KiB"),
                                   (1 << 20, 20 if quick else 200, "1 MiB")):
            accounted, real = _accounted_vs_real(base / label.replace(" ", ""), size, count)
            figures.append(Figure(f"accounted bytes per {label} cargo (baseline: real, ext4)",
                                  accounted, "bytes", real, ">= 1: never under-counted"))
        count = 10_000 if quick else 100_000
        _populate(base / "reclaim", count)  # expiries from NOW + 1 day on
        store = FileStore.open(base / "reclaim", quota_bytes=1 << 40)
        start = time.perf_counter()
        reclaimed = store.gc(NOW + timedelta(days=3))
        elapsed = time.perf_counter() - start
        store.close()
        assert reclaimed == count
        figures.append(Figure(f"reclaim {count} expired objects", elapsed, "s", None,
                              "seconds, not minutes"))
    return figures
