"""Crash safety: every crash point of put/delete enumerated, and a writer killed with SIGKILL."""

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from courier.store import CorruptObjectError, FileStore, ObjectNotFoundError, filestore, fsio
from courier.store.fsio import DurableIO, Fill
from tests.conftest import REPO
from tests.store.conftest import meta


class SimulatedCrash(Exception):
    """Power was cut."""


class CrashingIO(DurableIO):
    """Performs operations until the N-th, then 'loses power' the way a disk would.

    Until sync() returns, written data may be torn and renames may not have reached the disk.
    """

    def __init__(self, crash_at: int, *, lose_unsynced_renames: bool, torn: bool) -> None:
        super().__init__()
        self.crash_at = crash_at
        self.count = 0
        self.lose_unsynced_renames = lose_unsynced_renames
        self.torn = torn
        self.unsynced_files: dict[Path, int] = {}
        self.unsynced_renames: list[tuple[Path, Path]] = []
        self.direct_writes = 0

    def _step(self) -> None:
        self.count += 1
        if self.count == self.crash_at:
            if self.torn:
                for path, size in self.unsynced_files.items():
                    if path.exists():
                        os.truncate(path, size // 2)
            if self.lose_unsynced_renames:
                for source, target in reversed(self.unsynced_renames):
                    if target.exists():
                        os.rename(target, source)
            raise SimulatedCrash

    def write_unsynced(self, path: Path, size: int, fill: Fill) -> bool:
        self._step()
        direct = super().write_unsynced(path, size, fill)
        self.unsynced_files[path] = size
        self.direct_writes += direct
        return direct

    def rename(self, source: Path, target: Path) -> None:
        self._step()
        super().rename(source, target)
        self.unsynced_renames.append((source, target))
        if source in self.unsynced_files:
            self.unsynced_files[target] = self.unsynced_files.pop(source)

    def sync(self, files: Sequence[Path], directories: Sequence[Path]) -> None:
        self._step()
        super().sync(files, directories)
        self.unsynced_files.clear()
        self.unsynced_renames.clear()

    def unlink(self, path: Path) -> None:
        self._step()
        super().unlink(path)


def _scenario(store: FileStore, acked: dict[str, bytes], deleted: set[str],
              attempted: dict[str, bytes]) -> None:
    """Puts and deletes; records what was acknowledged before any crash."""
    steps: list[Callable[[], None]] = []
    for i in range(4):
        data = bytes([65 + i]) * (100 + i)

        def put(i: int = i, data: bytes = data) -> None:
            attempted[f"m{i}"] = data
            ref = store.put(meta(message_id=f"m{i}"), data).ref
            acked[ref] = data
        steps.append(put)

    def delete_first() -> None:
        ref = next(iter(acked))
        deleted.add(ref)  # from here the object may be gone, or still there intact
        store.delete(ref)
        deleted.add("done:" + ref)
    short: list[str] = []

    def put_short_lived() -> None:
        attempted["short"] = b"s" * 50
        ref = store.put(meta(message_id="short", expiry=_now() + timedelta(minutes=1)),
                        b"s" * 50).ref
        acked[ref] = b"s" * 50
        short.append(ref)

    def reclaim() -> None:
        deleted.add(short[0])  # reclaimed or intact, never corrupt
        store.gc(_now() + timedelta(minutes=2))
        deleted.add("done:" + short[0])
    steps[2:2] = [put_short_lived, delete_first, reclaim]
    for step in steps:
        step()


def _check_recovered(data_dir: Path, acked: dict[str, bytes], deleted: set[str],
                     attempted: dict[str, bytes]) -> None:
    store = FileStore.open(data_dir)
    try:
        for ref, data in acked.items():
            if "done:" + ref in deleted:
                with pytest.raises(ObjectNotFoundError):
                    store.get(ref)
            elif ref in deleted:
                with contextlib.suppress(ObjectNotFoundError):
                    assert store.get(ref) == data
            else:
                assert store.get(ref) == data, "an acknowledged object was lost or changed"
        for item in store.select_for_recipient("0aa", _now()):
            try:
                assert store.get(item.ref) == attempted[item.meta.message_id]
            except CorruptObjectError:
                pytest.fail("a corrupt object was served")
        assert not list((data_dir / "store" / "tmp").iterdir())
        files = {p.name for p in (data_dir / "store" / "objects").iterdir()}
        assert files == {o.ref for o in store.select_for_recipient("0aa", _now())}
    finally:
        store.close()


def _now() -> datetime:
    from tests.store.conftest import NOW  # noqa: PLC0415

    return NOW


@pytest.mark.parametrize(("lose_renames", "torn", "writes"),
                         [(False, False, "small"), (True, False, "small"), (True, True, "small"),
                          (True, True, "own_flush"), (True, True, "direct")])
def test_every_crash_point_recovers(tmp_path: Path, lose_renames: bool, torn: bool,
                                    writes: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every object as if big: flushed by its writer before the round ("own_flush"), or written
    # past the page cache and flushed only by the round ("direct").
    if writes != "small":
        monkeypatch.setattr(filestore, "OWN_FLUSH_BYTES", 0)
    monkeypatch.setattr(fsio, "DIRECT_MIN_BYTES", 0 if writes == "direct" else 1 << 40)
    probe_dir = tmp_path / "probe"
    probe = CrashingIO(crash_at=10**9, lose_unsynced_renames=False, torn=False)
    store = FileStore.open(probe_dir, io=probe, quota_bytes=1 << 30)
    _scenario(store, {}, set(), {})
    store.close()
    total = probe.count
    assert (probe.direct_writes > 0) == (writes == "direct")
    assert total >= 13  # each put: write, rename, sync; the delete: unlink
    for crash_at in range(1, total + 1):
        data_dir = tmp_path / f"crash-{crash_at}"
        acked: dict[str, bytes] = {}
        deleted: set[str] = set()
        attempted: dict[str, bytes] = {}
        io = CrashingIO(crash_at, lose_unsynced_renames=lose_renames, torn=torn)
        store = FileStore.open(data_dir, io=io, quota_bytes=1 << 30)
        with pytest.raises(SimulatedCrash):
            _scenario(store, acked, deleted, attempted)
        store._db.close()
        store._reader.close()
        store._owner.release()  # as the dead process's descriptors are
        _check_recovered(data_dir, acked, deleted, attempted)


WRITER = r"""
import sys
import threading
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor
from courier.store import FileStore
from tests.store.conftest import meta

store = FileStore.open(Path(sys.argv[1]), quota_bytes=1 << 30)
start = int(sys.argv[2])
lock = threading.Lock()
print("ready", flush=True)

def put(i):
    data = (b"%08d" % i) * (1 + i % 700)
    ref = store.put(meta(message_id=str(i), sender="0%d" % (i % 8)), data).ref
    with lock:  # one whole line per acknowledgement, written after put() returned
        sys.stdout.write(f"{ref} {i}\n")
        sys.stdout.flush()

with ThreadPoolExecutor(8) as pool:
    list(pool.map(put, range(start, start + 100000)))
"""


def _kill_cycles(tmp_path: Path, cycles: int) -> None:
    rng = random.Random(1234)
    acked: dict[str, int] = {}
    next_index = 0
    for _ in range(cycles):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(next_index)],
                                   cwd=REPO, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.02, 0.6))
        finally:
            process.send_signal(signal.SIGKILL)
            out, _ = process.communicate()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and len(parts[0]) == 32:  # a cut line is not an acknowledgement
                acked[parts[0]] = int(parts[1])
        next_index += 100000
        store = FileStore.open(tmp_path, quota_bytes=1 << 30)
        try:
            for ref, i in acked.items():
                assert store.get(ref) == (b"%08d" % i) * (1 + i % 700)
            assert not list((tmp_path / "store" / "tmp").iterdir())
        finally:
            store.close()
    assert acked, "the writer never acknowledged anything"


def test_writer_killed_at_random_moments(tmp_path: Path) -> None:
    _kill_cycles(tmp_path, cycles=4)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_writer_killed_at_random_moments_200_times(tmp_path: Path) -> None:
    _kill_cycles(tmp_path, cycles=200)
