"""The filesystem operations the store's durability rests on, behind one injectable object.

Crash tests replace it with a recorder that stops after any operation and drops unsynced data.
"""

import contextlib
import ctypes
import errno
import fcntl
import logging
import mmap
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from courier.atomic import fsync_dir

LOG = logging.getLogger(__name__)
_libc = ctypes.CDLL(None, use_errno=True)
_syncfs = getattr(_libc, "syncfs", None)
DIRECT_MIN_BYTES = 256 * 1024  # objects at least this big bypass the page cache
_BLOCK = 4096  # direct I/O alignment: every logical block size in use divides it
# Each writing thread keeps one aligned buffer for objects up to this size (so a 1 MiB cargo
# costs no page faults); a bigger object gets a buffer of its own for the time of its write.
_KEPT_BUFFER = 2 * 1024 * 1024
_local = threading.local()
Fill = Callable[[memoryview], None]


@contextlib.contextmanager
def _aligned_buffer(size: int) -> Iterator[mmap.mmap]:
    """Lend a page-aligned buffer of at least `size` bytes."""
    if size > _KEPT_BUFFER:
        with mmap.mmap(-1, size) as own:
            yield own
        return
    kept: mmap.mmap | None = getattr(_local, "buffer", None)
    if kept is None:
        kept = _local.buffer = mmap.mmap(-1, _KEPT_BUFFER)
    yield kept


def _write_all(fd: int, view: memoryview, offset: int) -> None:
    """Write all of `view` at `offset`, however many calls the kernel takes."""
    written = 0
    while written < len(view):
        written += os.pwrite(fd, view[written:], offset + written)


class DurableIO:
    """Real operations; nothing is relied upon until sync() has returned."""

    def __init__(self) -> None:
        self._direct = hasattr(os, "O_DIRECT")

    def write_unsynced(self, path: Path, size: int, fill: Fill) -> bool:
        """Create `path` (must not exist) holding the `size` bytes `fill` puts in the view it gets.

        The content is made straight into the buffer that is written: for a sealed object, the
        ciphertext is never a Python object of its own, nor copied under the GIL. `fill` may be
        called twice (when a filesystem refuses direct I/O), so it must give the same bytes.
        True if the write bypassed the cache: big objects are written with O_DIRECT where the
        filesystem allows it, so no copy in the page cache, no cache of cargo the courier will
        not read again soon, and a cheaper flush. Such data is already on the device but for its
        last partial block: the next sync flushes that block, the metadata and the device's
        own cache.
        """
        if self._direct and size >= DIRECT_MIN_BYTES:
            try:
                self._write_direct(path, size, fill)
            except OSError as error:
                if error.errno not in (errno.EINVAL, errno.EOPNOTSUPP):
                    raise
                self._direct = False  # this filesystem refuses direct I/O: buffered from now on
                LOG.info("the data filesystem refuses O_DIRECT: big objects go through the cache")
                self.unlink(path)
            else:
                return True
        with memoryview(bytearray(size)) as content:
            fill(content)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _write_all(fd, content, 0)
            finally:
                os.close(fd)
        return False

    @staticmethod
    def _write_direct(path: Path, size: int, fill: Fill) -> None:
        """Fill an aligned buffer; write its whole blocks directly and the rest through the cache.

        Cutting a directly written file to its size (ftruncate) would make the filesystem read
        the last block back from the device to zero its tail: a disk read per object. The tail
        written through the cache costs no read, and the next sync flushes it with the rest.
        """
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_DIRECT, 0o600)
        try:
            whole_blocks = size - size % _BLOCK
            with (_aligned_buffer(size) as buffer, memoryview(buffer) as whole,
                  whole[:size] as content):
                fill(content)
                # Views released by `with`, even when a write fails: a view kept alive by the
                # error's traceback would stop the buffer from closing and hide the error.
                with content[:whole_blocks] as head:
                    if whole_blocks and os.pwrite(fd, head, 0) != whole_blocks:
                        raise OSError(errno.ENOSPC, f"short write to {path.name}")
                if whole_blocks < size:
                    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_DIRECT)
                    with content[whole_blocks:] as tail:
                        _write_all(fd, tail, whole_blocks)
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
