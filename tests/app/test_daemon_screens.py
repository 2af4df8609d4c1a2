"""The running daemon's screens on the simulated board, against golden PNGs (the README's)."""

import json
import socket
import threading
from pathlib import Path

import pytest
from PIL import Image

from tests.app.test_device_component import Device
from tests.app.test_wipe_during_sync import gateway_env
from tests.cogrpc.conftest import free_port, node
from tests.internet.conftest import (  # noqa: F401 - start_double is a fixture
    StartDouble,
    start_double,
    wait_until,
)
from tests.internet.test_daemon_sync import _has_default_route
from tests.panel.golden_views import DAEMON, GOLDEN_DIR, PASSPHRASE, SSID

pytestmark = pytest.mark.interop


class Frames:
    """Every distinct frame the simulated display shows (its last.png, watched every 10 ms)."""

    def __init__(self, sim_dir: Path) -> None:
        self.path, self.seen, self.matched = sim_dir / "last.png", set[bytes](), set[str]()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            try:
                with Image.open(self.path) as image:
                    self.seen.add(image.convert("1").tobytes())
            except (OSError, ValueError):
                continue  # not written yet

    def wait_for_golden(self, name: str, timeout: float = 30) -> None:
        """Wait until the display has shown the golden frame `name`."""
        with Image.open(GOLDEN_DIR / f"{name}.png") as golden:
            expected = golden.convert("1").tobytes()
        wait_until(lambda: expected in self.seen, timeout)
        self.matched.add(name)

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.mark.timeout(240)
def test_the_running_daemon_shows_what_happens(
    tmp_path: Path, start_double: StartDouble, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    if not _has_default_route():
        pytest.skip("no default route here: the uplink can never be up")
    folder = tmp_path / "world"
    world = node("make-world", str(folder), json.dumps(
        {"gateways": 2, "outbound": [1000, 1000], "inbound": []}))
    gateways = world["gateways"]
    double = start_double("stall")  # an Internet gateway that takes cargo and never acks
    gateway_env(monkeypatch, double.port, double.ca)
    probe = free_port()
    monkeypatch.setenv("COURIER_INTERNET__PROBE", f'"127.0.0.1:{probe}"')
    monkeypatch.setenv("COURIER_SESSION__IDLE_CLOSE_SECONDS", "600")
    monkeypatch.setenv("COURIER_STORE__QUOTA_BYTES", str(2 * 1024**3))
    monkeypatch.setenv("COURIER_CLOCK__NTP_FLAG", f'"{tmp_path / "ntp-synchronized"}"')
    monkeypatch.setenv("COURIER_CLOCK__NTP_CHECK_SECONDS", "1")

    def credentials(data_dir: Path) -> None:
        wifi = data_dir / "keys" / "wifi.json"
        wifi.write_text(json.dumps({**json.loads(wifi.read_text()), "ssid": SSID,
                                    "passphrase": PASSPHRASE}))
    device = Device(tmp_path, stock=credentials)
    frames = Frames(device.data_dir / "sim")
    listener = socket.socket()
    try:
        frames.wait_for_golden("daemon_clock_untrusted")
        (tmp_path / "ntp-synchronized").touch()  # NTP synchronised while running
        frames.wait_for_golden("daemon_ready")
        device.press()
        at = device.wait_for("-> hotspot")
        host = f"127.0.0.1:{device.port}"
        for entry, count in ((gateways[0], 2), (gateways[1], 1)):
            files = [str(folder / name) for name in entry["outbound"][:count]]
            assert len(node("deliver", host, *files)["acked"]) == count
        frames.wait_for_golden("daemon_session")  # "2 on"
        device.press("l")
        frames.wait_for_golden("daemon_clients")
        device.press()  # end the session
        at = device.wait_for("hotspot closed", at)
        listener.bind(("127.0.0.1", probe))
        listener.listen()
        frames.wait_for_golden("daemon_ready_uplink", timeout=40)  # probed every 10 s
        device.press()
        at = device.wait_for("-> internet_sync", at)
        frames.wait_for_golden("daemon_internet")
        frames.wait_for_golden("daemon_problem", timeout=90)  # the stalled gateway failed
        assert frames.matched == set(DAEMON)
    finally:
        listener.close()
        frames.stop()
        assert device.stop() == 0
