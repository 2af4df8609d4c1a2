"""Suite-wide guards: every test leaks no threads, child processes or temp files."""

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.skip_guard"]  # CI: skips fail the run unless allow-listed

REPO = Path(__file__).resolve().parent.parent
JS_DIR = REPO / "tests" / "js"

# Threads owned by libraries for the process lifetime (grpc's poller, zeroconf's loop) are allowed.
_ALLOWED_THREAD_PREFIXES = ("grpc", "ThreadPoolExecutor", "asyncio_", "zeroconf", "pytest_timeout")


def _children() -> set[int]:
    """Return the pids of this process's live (non-zombie) children."""
    path = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    try:
        return {int(pid) for pid in path.read_text().split()}
    except OSError:
        return set()


@pytest.fixture(autouse=True)
def _no_leaks() -> Iterator[None]:
    """Fail a test that leaves threads or child processes running."""
    threads_before = set(threading.enumerate())
    children_before = _children()
    yield
    leaked_threads = [
        t for t in threading.enumerate()
        if t not in threads_before and t.is_alive()
        and not t.name.startswith(_ALLOWED_THREAD_PREFIXES)
    ]
    for thread in leaked_threads:
        thread.join(timeout=2)
    leaked_threads = [t for t in leaked_threads if t.is_alive()]
    leaked_children = _children() - children_before
    assert not leaked_threads, f"test leaked threads: {[t.name for t in leaked_threads]}"
    assert not leaked_children, f"test leaked child processes: {sorted(leaked_children)}"


def node_available() -> bool:
    """Tell whether the Node packages for interop tests are installed."""
    return (JS_DIR / "node_modules" / "@relaycorp" / "relaynet-core").is_dir()
