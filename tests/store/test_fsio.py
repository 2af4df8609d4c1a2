"""DurableIO's writes: big objects bypass the page cache, and fall back where refused."""

import errno
import fcntl
import os
from pathlib import Path

import pytest

from courier.store.fsio import DIRECT_MIN_BYTES, DurableIO, Fill


def _copying(data: bytes, calls: list[int] | None = None) -> Fill:
    def fill(out: memoryview) -> None:
        assert len(out) == len(data)
        out[:] = data
        if calls is not None:
            calls.append(len(out))
    return fill


@pytest.mark.parametrize("size", [0, 1, 4095, DIRECT_MIN_BYTES - 1, DIRECT_MIN_BYTES,
                                  DIRECT_MIN_BYTES + 1, 1024 * 1024, 2 * 1024 * 1024 - 4096,
                                  2 * 1024 * 1024 + 1, 9 * 1024 * 1024 + 17])
def test_every_size_is_written_exactly(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    io = DurableIO()
    io.write_unsynced(tmp_path / "object", size, _copying(data))
    io.sync([tmp_path / "object"], [])
    assert (tmp_path / "object").read_bytes() == data
    assert (tmp_path / "object").stat().st_mode & 0o777 == 0o600


def test_a_reused_buffer_leaves_nothing_of_a_bigger_object_behind(tmp_path: Path) -> None:
    io = DurableIO()
    io.write_unsynced(tmp_path / "big", 1024 * 1024, _copying(b"\xff" * 1024 * 1024))
    small = os.urandom(DIRECT_MIN_BYTES + 1)
    io.write_unsynced(tmp_path / "small", len(small), _copying(small))
    assert (tmp_path / "small").read_bytes() == small
    # Nothing past the object's end reaches the file, least of all the big object's bytes.
    assert os.stat(tmp_path / "small").st_size == len(small)


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "object").write_bytes(b"kept")
    calls: list[int] = []
    with pytest.raises(FileExistsError):
        DurableIO().write_unsynced(tmp_path / "object", DIRECT_MIN_BYTES,
                                   _copying(os.urandom(DIRECT_MIN_BYTES), calls))
    assert (tmp_path / "object").read_bytes() == b"kept"


def test_a_fill_that_fails_leaves_the_writer_usable(tmp_path: Path) -> None:
    io = DurableIO()

    def failing(out: memoryview) -> None:
        raise ValueError("sealing failed")
    for size in (DIRECT_MIN_BYTES, 3 * 1024 * 1024):
        with pytest.raises(ValueError, match="sealing failed"):
            io.write_unsynced(tmp_path / f"bad-{size}", size, failing)
    data = os.urandom(DIRECT_MIN_BYTES)
    io.write_unsynced(tmp_path / "good", len(data), _copying(data))
    assert (tmp_path / "good").read_bytes() == data


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

    monkeypatch.setattr(os, "open", open_without_direct)  # the os module fsio calls
    caplog.set_level("INFO", logger="courier.store.fsio")
    io = DurableIO()
    for name in ("a", "b"):
        data = os.urandom(DIRECT_MIN_BYTES + 5)
        assert not io.write_unsynced(tmp_path / name, len(data), _copying(data))
        assert (tmp_path / name).read_bytes() == data
    assert len(refused) == 1  # refused once, then remembered
    assert "refuses O_DIRECT" in caplog.text


def test_a_filesystem_refusing_the_direct_write_gets_the_same_bytes_buffered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_pwrite = os.pwrite

    def refusing_pwrite(fd: int, data: memoryview, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)
    monkeypatch.setattr(os, "pwrite", refusing_pwrite)
    data = os.urandom(DIRECT_MIN_BYTES)
    calls: list[int] = []
    assert not DurableIO().write_unsynced(tmp_path / "object", len(data), _copying(data, calls))
    assert (tmp_path / "object").read_bytes() == data
    assert calls == [len(data), len(data)]  # filled for the direct try, then again


def test_a_direct_write_never_cuts_the_file_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Cutting a directly written file to size makes the filesystem read its last block back
    # from the device: on an SD card that is a read per stored cargo.
    def no_truncate(fd: int, length: int) -> None:
        raise AssertionError("ftruncate called")
    monkeypatch.setattr(os, "ftruncate", no_truncate)
    io = DurableIO()
    for size in (DIRECT_MIN_BYTES + 1, 1024 * 1024 + 28, 3 * 1024 * 1024 + 4095):
        data = os.urandom(size)
        assert io.write_unsynced(tmp_path / f"object-{size}", size, _copying(data))
        assert (tmp_path / f"object-{size}").read_bytes() == data


def test_a_failed_tail_write_reports_the_device_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_pwrite = os.pwrite

    def failing_tail(fd: int, data: memoryview, offset: int) -> int:
        if not fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            del data  # as the real call, which keeps no reference once it has failed
            raise OSError(errno.EIO, "Input/output error")
        return real_pwrite(fd, data, offset)
    monkeypatch.setattr(os, "pwrite", failing_tail)
    io = DurableIO()
    for size in (DIRECT_MIN_BYTES + 1, 3 * 1024 * 1024 + 1):  # the kept buffer, and its own
        with pytest.raises(OSError, match="Input/output error"):
            io.write_unsynced(tmp_path / f"object-{size}", size, _copying(os.urandom(size)))
    monkeypatch.setattr(os, "pwrite", real_pwrite)
    data = os.urandom(3 * 1024 * 1024 + 1)
    assert io.write_unsynced(tmp_path / "after", len(data), _copying(data))
    assert (tmp_path / "after").read_bytes() == data
