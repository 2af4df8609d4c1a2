"""The running daemon and the update helper: a stick offers a bundle, a long press installs it.

The daemon runs on the simulated board (`courier run --hardware sim`); the helper is the real
service loop (socket, status file, real `rauc info` on real bundles) on a fake sysfs, with a
script playing `rauc install` and a recorded reboot (tests/update/fake_updates.py).
"""

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from courier import __version__
from courier.panel.screens import render
from courier.panel.session_types import Problem
from courier.panel.views import ProblemView, UpdateOfferView, UpdatingView, View
from courier.update.helper import UpdateHelper
from courier.update.service import run
from tests.app.test_device_component import Device
from tests.conftest import REPO
from tests.internet.conftest import wait_until
from tests.update.fake_updates import Board, helper_for, make_bundles, needs_rauc
from tests.update.test_fetch import Site, site, tls  # noqa: F401 - fixtures

pytestmark = [pytest.mark.interop, needs_rauc]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real bundles signed by the org's test CA (and others)."""
    return make_bundles(tmp_path_factory)


class Running:
    """The helper's service loop in a thread of its own."""

    def __init__(self, helper: UpdateHelper) -> None:
        self.helper = helper
        self.loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = threading.Event()
        self._thread.start()
        self._started.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._task = self.loop.create_task(run(self.helper, scan_seconds=0.1))
        self.loop.call_soon(self._started.set)
        try:
            self.loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self.loop.close()

    def stop(self) -> None:
        """Cancel the loop's task and join the thread."""
        if self._task is not None:
            self.loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=10)


@pytest.fixture
def helper(tmp_path: Path, made: Path) -> Iterator[tuple[Board, UpdateHelper]]:
    """A fake board and the helper running on it (no stick yet); downloads in the data dir."""
    board = Board(tmp_path / "board")
    download = tmp_path / "data" / "update" / "bundle.raucb"  # the daemon's (Device's) data dir
    running = Running(helper_for(board, made, download=download, running=__version__))
    wait_until((running.helper.run_dir / "control.sock").exists, 10)
    yield board, running.helper
    running.stop()


def shows(device: Device, view: View, timeout: float = 20) -> None:
    """Wait until the simulated display shows exactly this view."""
    expected = render(view).convert("1").tobytes()

    def now() -> bool:
        try:
            with Image.open(device.data_dir / "sim" / "last.png") as frame:
                return frame.convert("1").tobytes() == expected
        except (OSError, ValueError):
            return False
    wait_until(now, timeout)


def start(tmp_path: Path, helper: UpdateHelper, settings: str = "") -> Device:
    """The daemon, told where the helper lives."""
    return Device(tmp_path, settings=f'[update]\nhelper_run_dir = "{helper.run_dir}"\n'
                  + settings)


@pytest.mark.timeout(120)
def test_a_stick_is_offered_and_a_long_press_installs_and_reboots(
        tmp_path: Path, made: Path, helper: tuple[Board, UpdateHelper]) -> None:
    board, updater = helper
    device = start(tmp_path, updater)
    try:
        at = device.wait_for("status LED:")
        board.sticks["sda1"] = [made / "courier-0.3.0.raucb", made / "courier-0.4.0.raucb"]
        board.disk("sda", ("sda1",))
        at = device.wait_for("-> update_offer", at)
        shows(device, UpdateOfferView(__version__, "0.3.0", "USB stick"))
        assert "update refused: courier-0.4.0.raucb: not signed by this fleet's key" in \
            device.log.read_text()
        device.press("l")  # the long press on the update screen
        at = device.wait_for("-> updating", at)
        wait_until(lambda: board.reboots == 1, 30)
        shows(device, UpdatingView(100, "Restarting into 0.3.0"))
        installed = (board.rauc.parent / "installed").read_text().strip()
        assert installed.endswith("stick-sda1/courier-0.3.0.raucb")
    finally:
        assert device.stop() == 0


@pytest.mark.timeout(120)
def test_not_now_then_a_failed_install_keeps_the_system_and_says_so(
        tmp_path: Path, made: Path, helper: tuple[Board, UpdateHelper]) -> None:
    board, updater = helper
    (board.rauc.parent / "fail").touch()
    device = start(tmp_path, updater)
    try:
        at = device.wait_for("status LED:")
        board.sticks["sda1"] = [made / "courier-0.3.0.raucb"]
        board.disk("sda", ("sda1",))
        at = device.wait_for("-> update_offer", at)
        device.press()  # "not now": back to rest, the same offer is not shown again
        at = device.wait_for("update_offer -> ", at)
        board.pull("sda", ("sda1",))  # pulled out and plugged in again: offered again
        wait_until(lambda: updater.status.offer is None, 10)
        board.disk("sda", ("sda1",))
        at = device.wait_for("-> update_offer", at)
        device.press("l")
        at = device.wait_for("-> updating", at)
        at = device.wait_for("-> error", at)
        shows(device, ProblemView(Problem.UPDATE_FAILED, "does not fit the other slot"),
              timeout=20)
        assert board.reboots == 0
    finally:
        assert device.stop() == 0


@pytest.mark.timeout(120)
def test_an_internet_sync_fetches_the_bundle_over_https_and_it_is_offered(
        tmp_path: Path, made: Path, helper: tuple[Board, UpdateHelper],
        site: Site) -> None:  # noqa: F811 - the fixture
    _, updater = helper
    site.behaviour.body = (made / "courier-0.3.0.raucb").read_bytes()
    device = start(tmp_path, updater, f'url = "{site.url()}?token=s3cret"\n'
                                      f'ca_file = "{site.ca_file}"\n')
    try:
        at = device.wait_for("status LED:")
        config = tmp_path / "courier.toml"
        done = subprocess.run([sys.executable, "-m", "courier", "sync-internet", "--config",
                               str(config), "--data-dir", str(device.data_dir)], cwd=REPO,
                              capture_output=True, text=True, timeout=90, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        at = device.wait_for("update: version 0.3.0 downloaded and offered", at)
        at = device.wait_for("-> update_offer", at)
        shows(device, UpdateOfferView(__version__, "0.3.0", "download"))
        assert [r["path"] for r in site.behaviour.log] == ["/bundle?token=s3cret"]
        # The next sync asks again; the bundle did not change: nothing is sent again.
        done = subprocess.run([sys.executable, "-m", "courier", "sync-internet", "--config",
                               str(config), "--data-dir", str(device.data_dir)], cwd=REPO,
                              capture_output=True, text=True, timeout=90, check=False)
        assert done.returncode == 0
        assert site.behaviour.log[-1]["status"] == 304
        assert "s3cret" not in device.log.read_text()  # the address's token is never logged
    finally:
        assert device.stop() == 0
