"""DurableIO's writes: big objects bypass the page cache, and fall back where refused."""

import errno
import os
from pathlib import Path

import pytest

from courier.store import fsio
from courier.store.fsio import DIRECT_MIN_BYTES, DurableIO


@pytest.mark.parametrize("size", [0, 1, 4095, DIRECT_MIN_BYTES - 1, DIRECT_MIN_BYTES,
                                  DIRECT_MIN_BYTES + 1, 1024 * 1024, 3 * 1024 * 1024 + 17])
def test_every_size_is_written_exactly(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    io = DurableIO()
    io.write_unsynced(tmp_path / "object", data)
    io.sync([tmp_path / "object"], [])
    assert (tmp_path / "object").read_bytes() == data
    assert (tmp_path / "object").stat().st_mode & 0o777 == 0o600


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "object").write_bytes(b"kept")
    with pytest.raises(FileExistsError):
        DurableIO().write_unsynced(tmp_path / "object", os.urandom(DIRECT_MIN_BYTES))
    assert (tmp_path / "object").read_bytes() == b"kept"


def test_a_filesystem_refusing_direct_io_gets_buffered_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    real_open = os.open
    refused: list[str] = []

    def open_without_direct(path: str, flags: int, mode: int = 0o777) -> int:
        if flags & os.O_DIRECT:
            refused.append(str(path))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, mode)

    monkeypatch.setattr(fsio.os, "open", open_without_direct)
    caplog.set_level("INFO", logger="courier.store.fsio")
    io = DurableIO()
    for name in ("a", "b"):
        data = os.urandom(DIRECT_MIN_BYTES + 5)
        io.write_unsynced(tmp_path / name, data)
        assert (tmp_path / name).read_bytes() == data
    assert len(refused) == 1  # refused once, then remembered
    assert "refuses O_DIRECT" in caplog.text
