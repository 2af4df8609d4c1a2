"""The filesystem operations the store's durability rests on, behind one injectable object.

Crash tests replace it with a recorder that stops after any operation and drops unsynced data.
"""

import os
from pathlib import Path

from courier.store.keys import fsync_dir


class DurableIO:
    """Real operations: every write is followed by fsync before anyone relies on it."""

    def write_synced(self, path: Path, data: bytes) -> None:
        """Create `path` (must not exist), write all of `data`, fsync it."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)

    def rename(self, source: Path, target: Path) -> None:
        """Atomically move a file within the filesystem."""
        os.rename(source, target)

    def fsync_dir(self, path: Path) -> None:
        """Make the directory's entries durable."""
        fsync_dir(path)

    def unlink(self, path: Path) -> None:
        """Remove a file if it exists."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            return

    def read(self, path: Path) -> bytes:
        """Return a file's bytes."""
        return path.read_bytes()
