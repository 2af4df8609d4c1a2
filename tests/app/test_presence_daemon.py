"""The running daemon on the simulated board keeps a session open while phones are connected."""

import time
from pathlib import Path

import pytest

from tests.app.test_device_component import Device
from tests.net.fake_hostapd import FakeHostapd

pytestmark = pytest.mark.interop


@pytest.mark.timeout(90)
def test_connected_stations_keep_the_session_open_without_any_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_dir = tmp_path / "courier-net"
    monkeypatch.setenv("COURIER_SESSION__NET_RUN_DIR", str(run_dir))
    with FakeHostapd(run_dir / "hostapd" / "wlan0") as hostapd:
        hostapd.stations = ["02:00:00:00:01:00"]  # a phone on the Wi-Fi, its owner not tapping
        device = Device(tmp_path)  # closes an idle session after 3 s
        try:
            at = device.wait_for("status LED:")
            device.press()
            at = device.wait_for("-> hotspot", at)
            time.sleep(8)  # well past the idle close, and no gRPC call
            assert "hotspot closed" not in device.log.read_text()[at:]
            hostapd.stations = []  # the phone leaves
            device.wait_for("hotspot closed", at, timeout=20)
        finally:
            assert device.stop() == 0
