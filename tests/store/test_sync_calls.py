"""A put returns only after a real flush covered its object: the syscalls are recorded."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from courier.store import FileStore, fsio
from tests.store.conftest import meta

pytestmark = pytest.mark.timeout(60)


@dataclass
class Flushes:
    """The flushes the kernel was asked for, in order, each with what it covers."""

    events: list[tuple[str, int, int]] = field(default_factory=list)  # (call, st_dev, st_ino)

    def covers(self, path: Path) -> bool:
        """Tell whether the recorded flushes make `path`'s data and its directory entry durable."""
        info, parent = os.stat(path), os.stat(path.parent)
        if ("syncfs", info.st_dev, 0) in self.events:
            return True
        return (("fsync", info.st_dev, info.st_ino) in self.events
                and ("fsync", parent.st_dev, parent.st_ino) in self.events)


def _recording(real: Callable[[int], object], call: str, flushes: Flushes,
               ) -> Callable[[int], object]:
    def wrapper(fd: int) -> object:
        info = os.fstat(fd)
        flushes.events.append((call, info.st_dev, 0 if call == "syncfs" else info.st_ino))
        return real(fd)
    return wrapper


@pytest.fixture(params=["syncfs", "fsync"])
def flushes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Flushes:
    """Record every syncfs(2) and fsync(2) the store makes; "fsync" hides syncfs as old libcs do."""
    recorded = Flushes()
    monkeypatch.setattr(os, "fsync", _recording(os.fsync, "fsync", recorded))
    if request.param == "syncfs":
        assert fsio._syncfs is not None, "this libc has syncfs: the fast path must be tested"
        monkeypatch.setattr(fsio, "_syncfs", _recording(fsio._syncfs, "syncfs", recorded))
    else:
        monkeypatch.setattr(fsio, "_syncfs", None)
    return recorded


@pytest.mark.parametrize("size", [100, fsio.DIRECT_MIN_BYTES + 5000])
def test_put_returns_only_after_a_flush_covering_its_object(
    tmp_path: Path, flushes: Flushes, size: int,
) -> None:
    store = FileStore.open(tmp_path)
    try:
        for i in range(3):
            flushes.events.clear()
            ref = store.put(meta(message_id=f"m{i}"), b"x" * size).ref
            stored = tmp_path / "store" / "objects" / ref
            assert stored.exists()
            assert flushes.covers(stored), (i, flushes.events)
    finally:
        store.close()


def test_delete_returns_only_after_a_flush_covering_the_directory(
    tmp_path: Path, flushes: Flushes,
) -> None:
    store = FileStore.open(tmp_path)
    try:
        ref = store.put(meta(), b"y" * 64).ref
        objects = tmp_path / "store" / "objects"
        flushes.events.clear()
        assert store.delete(ref)
        directory = os.stat(objects)
        assert (("syncfs", directory.st_dev, 0) in flushes.events
                or ("fsync", directory.st_dev, directory.st_ino) in flushes.events), flushes.events
    finally:
        store.close()
