"""The filesystem operations the store's durability rests on, behind one injectable object.

Crash tests replace it with a recorder that stops after any operation and drops unsynced data.
"""

import ctypes
import os
from collections.abc import Sequence
from pathlib import Path

from courier.atomic import fsync_dir

_libc = ctypes.CDLL(None, use_errno=True)
_syncfs = getattr(_libc, "syncfs", None)


class DurableIO:
    """Real operations; nothing is relied upon until sync() has returned."""

    def write_unsynced(self, path: Path, data: bytes) -> None:
        """Create `path` (must not exist) and write all of `data`, without waiting for the disk."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
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
