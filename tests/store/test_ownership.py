"""One owner per store: a second opener is refused, and nothing is deleted under a live put."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from courier.store import FileStore
from courier.store.fsio import DurableIO, Fill
from courier.store.lock import StoreLockedError
from tests.conftest import REPO
from tests.store.conftest import NOW, meta

OPEN_IN_CHILD = (
    "import sys; from pathlib import Path\n"
    "from courier.store import FileStore\n"
    "from courier.store.lock import StoreLockedError\n"
    "try:\n"
    "    FileStore.open(Path(sys.argv[1])).close()\n"
    "except StoreLockedError as error:\n"
    "    print(error); sys.exit(3)\n"
    "print('opened')\n"
)


class PausingIO(DurableIO):
    """Stops a put right after its temp file is written, until told to go on."""

    def __init__(self) -> None:
        super().__init__()
        self.written = threading.Event()
        self.go_on = threading.Event()

    def write_unsynced(self, path: Path, size: int, fill: Fill) -> bool:
        direct = super().write_unsynced(path, size, fill)
        self.written.set()
        assert self.go_on.wait(30)
        return direct


def _open_in_child(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", OPEN_IN_CHILD, str(data_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_second_opener_is_refused_and_deletes_nothing_under_a_live_put(tmp_path: Path) -> None:
    io = PausingIO()
    store = FileStore.open(tmp_path, io=io)
    result: list[str] = []
    writer = threading.Thread(target=lambda: result.append(
        store.put(meta(message_id="live"), b"acked soon").ref))
    writer.start()
    try:
        assert io.written.wait(30)
        temp_files = list(store.temp.iterdir())
        assert len(temp_files) == 1  # the put is between its write and its commit
        # Another process: refused with the holder named; its recovery never ran.
        child = _open_in_child(tmp_path)
        assert child.returncode == 3, child.stdout + child.stderr
        assert f"in use by process {os.getpid()}" in child.stdout
        # This process too: a second FileStore on the same directory is refused.
        with pytest.raises(StoreLockedError, match=str(os.getpid())):
            FileStore.open(tmp_path)
        assert list(store.temp.iterdir()) == temp_files
    finally:
        io.go_on.set()
        writer.join(30)
    assert store.get(result[0]) == b"acked soon"
    assert [o.ref for o in store.select_for_recipient("0aa", NOW)] == result
    store.close()


def test_closing_gives_the_store_up(tmp_path: Path) -> None:
    FileStore.open(tmp_path).close()
    child = _open_in_child(tmp_path)
    assert child.returncode == 0 and "opened" in child.stdout, child.stderr
    store = FileStore.open(tmp_path)
    store.wipe()
    FileStore.open(tmp_path).close()  # a wiped store can be made again


def test_a_dead_owner_leaves_no_lock(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path\n"
         "from courier.store import FileStore\n"
         "s = FileStore.open(Path(sys.argv[1])); print('open', flush=True); time.sleep(60)",
         str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        assert _open_in_child(tmp_path).returncode == 3
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    FileStore.open(tmp_path).close()
