"""Store: durable ingest against plain write+fsync, and open/select at 100 000 objects."""

import os
import secrets
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import Figure
from courier.store import Direction, FileStore, Kind, ObjectMeta
from courier.store import index as store_index
from courier.store.filestore import meta_to_json

NOW = datetime.now(UTC)
WRITERS = 8


def _meta(i: int, size: int, recipient: str = "0aa") -> ObjectMeta:
    return ObjectMeta(kind=Kind.CARGO, direction=Direction.TO_PRIVATE, recipient_id=recipient,
                      internet_address=None, sender_id=f"0{i % 8}", message_id=f"m{i}",
                      expiry=NOW + timedelta(days=1, seconds=i), size=size)


def _ingest(folder: Path, payload: bytes, count: int) -> float:
    """Return MB/s of durable puts from WRITERS threads."""
    store = FileStore.open(folder, quota_bytes=1 << 40, per_sender_fraction=1.0)
    start = time.perf_counter()
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda i: store.put(_meta(i, len(payload)), payload), range(count)))
    elapsed = time.perf_counter() - start
    store.close()
    return count / elapsed


def _plain(folder: Path, payload: bytes, count: int) -> float:
    """Return objects/s of plain write + fsync from WRITERS threads (no crypto, no index)."""
    folder.mkdir(parents=True)

    def write(i: int) -> None:
        fd = os.open(folder / f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, payload)
        os.fsync(fd)
        os.close(fd)
    start = time.perf_counter()
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(count)))
    return count / (time.perf_counter() - start)


def _paired(folder: Path, payload: bytes, count: int, rounds: int = 3) -> tuple[float, float]:
    """Return the best store and plain rates over interleaved rounds (same disk conditions)."""
    store, plain = 0.0, 0.0
    for i in range(rounds):
        store = max(store, _ingest(folder / f"store-{i}", payload, count))
        plain = max(plain, _plain(folder / f"plain-{i}", payload, count))
    return store, plain


def _populate(folder: Path, count: int, first_recipient: str | None = None) -> None:
    """Fill a store fast (no per-object fsync): only to measure open and select at scale.

    Objects go to 1000 recipients in turn; the first 100 go to `first_recipient` if given.
    """
    store = FileStore.open(folder, quota_bytes=1 << 40, per_sender_fraction=1.0)
    keys = store._keys  # bulk loading for the benchmark only
    rows = []
    for i in range(count):
        recipient = first_recipient if first_recipient and i < 100 else f"0{i % 1000:03x}"
        meta = _meta(i, 100, recipient=recipient)
        ref = secrets.token_hex(16)
        (store.objects / ref).write_bytes(keys.seal(ref, b"data", b"x" * 100))
        rows.append(store_index.Row(
            ref=ref, kind=meta.kind.value, direction=meta.direction.value,
            recipient_h=keys.lookup_hash("recipient", meta.recipient_id), address_h=None,
            sender_h=keys.lookup_hash("sender", meta.sender_id),
            dedup_h=keys.lookup_hash("dedup", meta.sender_id, meta.message_id),
            expiry=int(meta.expiry.timestamp()), size=100,
            meta=keys.seal(ref, b"meta", meta_to_json(meta))))
    db = store._db
    db.execute("BEGIN")
    store_index.insert(db, rows)
    db.execute("COMMIT")
    store.close()
    os.sync()


def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    figures: list[Figure] = []
    big, small = os.urandom(1 << 20), os.urandom(4096)
    n_big, n_small = (16, 300) if quick else (96, 3000)
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as work:
        base = Path(work)
        mbps, plain = _paired(base / "big", big, n_big)
        figures.append(Figure("durable ingest, 1 MiB objects, 8 writers", mbps * len(big) / 1e6,
                              "MB/s", plain * len(big) / 1e6, ">= 50% of plain write+fsync"))
        rate, plain_rate = _paired(base / "small", small, n_small)
        figures.append(Figure("durable ingest, 4 KiB objects, 8 writers", rate, "objects/s",
                              plain_rate, ">= 1000 objects/s"))
        count = 10_000 if quick else 100_000
        _populate(base / "scale", count)
        start = time.perf_counter()
        store = FileStore.open(base / "scale", quota_bytes=1 << 40)
        figures.append(Figure(f"open with reconciliation, {count} objects",
                              (time.perf_counter() - start) * 1000, "ms", None, "seconds"))
        samples = []
        for i in range(50):
            start = time.perf_counter()
            found = store.select_for_recipient(f"0{i:03x}", NOW)
            samples.append((time.perf_counter() - start) * 1000)
            assert len(found) == count // 1000
        figures.append(Figure(f"select one recipient ({count // 1000} of {count})",
                              statistics.median(samples), "ms", None, "< 10 ms"))
        store.close()
    return figures
