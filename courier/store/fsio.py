"""The filesystem operations the store's durability rests on, behind one injectable object.

Crash tests replace it with a recorder that stops after any operation and drops unsynced data.
"""

import ctypes
import errno
import logging
import mmap
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from courier.atomic import fsync_dir

LOG = logging.getLogger(__name__)
_libc = ctypes.CDLL(None, use_errno=True)
_syncfs = getattr(_libc, "syncfs", None)
DIRECT_MIN_BYTES = 256 * 1024  # objects at least this big bypass the page cache
_BLOCK = 4096  # direct I/O alignment: every logical block size in use divides it
_CHUNK = 1024 * 1024  # the aligned bounce buffer, whatever the object's size
_bounce = threading.local()  # one buffer per writing thread, reused: no page faults per write


def _aligned(size: int) -> int:
    return -(-size // _BLOCK) * _BLOCK


class DurableIO:
    """Real operations; nothing is relied upon until sync() has returned."""

    def __init__(self) -> None:
        self._direct = hasattr(os, "O_DIRECT")

    def write_unsynced(self, path: Path, data: bytes) -> bool:
        """Create `path` (must not exist), write all of `data`; True if it bypassed the cache.

        Big objects are written with O_DIRECT where the filesystem allows it: no copy into the
        page cache, no cache of cargo the courier will not read again soon, and a cheaper flush.
        Such data is already on the device: only the next sync's flush (of the metadata and of
        the device's own cache) remains to make it durable.
        """
        if self._direct and len(data) >= DIRECT_MIN_BYTES:
            try:
                self._write_direct(path, data)
            except OSError as error:
                if error.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
                    raise
                self._direct = False  # this filesystem refuses direct I/O: buffered from now on
                LOG.info("the data filesystem refuses O_DIRECT: big objects go through the cache")
                self.unlink(path)
            else:
                return True
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        return False

    @staticmethod
    def _write_direct(path: Path, data: bytes) -> None:
        """Write through an aligned buffer in whole blocks, then cut the file to its size."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_DIRECT, 0o600)
        try:
            buffer = getattr(_bounce, "buffer", None)
            if buffer is None:
                buffer = _bounce.buffer = mmap.mmap(-1, _CHUNK)
            with memoryview(data) as source, memoryview(buffer) as bounce:
                for offset in range(0, len(source), len(bounce)):
                    chunk = source[offset:offset + len(bounce)]
                    size = _aligned(len(chunk))
                    bounce[:len(chunk)] = chunk
                    bounce[len(chunk):size] = bytes(size - len(chunk))  # no stale padding
                    if os.pwrite(fd, bounce[:size], offset) != size:
                        raise OSError(errno.ENOSPC, f"short write to {path.name}")
            os.ftruncate(fd, len(data))
        finally:
            os.close(fd)

    def sync(self, files: Sequence[Path], directories: Sequence[Path]) -> None:
        """Make the files' data and the directories' entries durable.

        One syncfs(2) covers a whole group-commit round (many files and renames) in one disk
        flush; without syncfs, each file and directory is fsynced.
        """
        if _syncfs is not None and directories:
            fd = os.open(directories[0], os.O_RDONLY | os.O_DIRECTORY)
            try:
                if _syncfs(fd) != 0:
                    error = ctypes.get_errno()
                    raise OSError(error, os.strerror(error))
            finally:
                os.close(fd)
            return
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for directory in directories:
            fsync_dir(directory)

    def rename(self, source: Path, target: Path) -> None:
        """Atomically move a file within the filesystem."""
        os.rename(source, target)

    def unlink(self, path: Path) -> None:
        """Remove a file if it exists."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            return

    def read(self, path: Path) -> bytes:
        """Return a file's bytes."""
        return path.read_bytes()
