"""One owner per store: an exclusive lock on the store directory, taken before recovery runs."""

import contextlib
import fcntl
import os
from pathlib import Path

from courier.errors import StoreError

LOCK_FILE = "lock"


class StoreLockedError(StoreError):
    """Another process (or another open store in this one) owns the store."""


class StoreLock:
    """An flock(2) on <store>/lock holding the owner's pid; released on close or process exit."""

    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_FILE
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise StoreLockedError(
                f"the store in {root.parent} is in use by process {holder or '(unknown)'}: "
                "only one process may open it (ask the running daemon, e.g. "
                "`courier sync-internet` does so by itself)") from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd: int | None = fd

    def release(self) -> None:
        """Give the store up (idempotent)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the only descriptor ends the flock
            self._fd = None


def _holder(fd: int) -> str:
    """Return the pid the owner wrote, as text ('' if unreadable)."""
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
