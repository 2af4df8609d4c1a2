"""The running daemon on the simulated board, with phones: presence, cargo too big for them."""

import json
import time
from pathlib import Path

import grpc
import pytest
from PIL import Image

from courier.panel.screens import render
from courier.panel.views import ClientRow, ClientsView, SessionView
from courier.protocol import parse_message
from courier.store import Direction, FileStore, ObjectMeta
from tests.app.test_device_component import Device
from tests.cogrpc.android import android_collect
from tests.cogrpc.conftest import node
from tests.net.fake_hostapd import FakeHostapd

pytestmark = pytest.mark.interop


def _wait_for_frame(device: Device, expected: bytes) -> None:
    """Wait until the simulated display shows exactly this frame."""
    deadline = time.monotonic() + 10
    while Image.open(device.data_dir / "sim" / "last.png").convert("1").tobytes() != expected:
        assert time.monotonic() < deadline, "the screen never showed the expected frame"
        time.sleep(0.2)


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
            credentials = json.loads((device.data_dir / "keys" / "wifi.json").read_text())
            on_wifi = render(SessionView(credentials["ssid"], credentials["passphrase"], 1, 60.0))
            _wait_for_frame(device, on_wifi.tobytes())  # "1 on": the phone counts as there
            time.sleep(8)  # well past the idle close, and no gRPC call
            assert "hotspot closed" not in device.log.read_text()[at:]
            hostapd.stations = []  # the phone leaves
            device.wait_for("hotspot closed", at, timeout=20)
        finally:
            assert device.stop() == 0


@pytest.mark.timeout(120)
def test_the_panel_says_how_many_cargo_are_too_big_for_android(tmp_path: Path) -> None:
    folder = tmp_path / "world"
    folder.mkdir()
    world = node("make-world", str(folder), json.dumps(
        {"gateways": 1, "outbound": [], "inbound": [8 * 1024 * 1024 - 4096]}))
    gateway = world["gateways"][0]

    def stock(data_dir: Path) -> None:
        store = FileStore.open(data_dir)
        try:
            raw = (folder / gateway["inbound"][0]).read_bytes()
            store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
        finally:
            store.close()
    device = Device(tmp_path, stock=stock)
    try:
        at = device.wait_for("status LED:")
        device.press()
        at = device.wait_for("-> hotspot", at)
        device.press("l")  # the next screen: gateways here
        cert = (device.data_dir / "keys" / "tls.crt").read_bytes()
        phone = android_collect(f"127.0.0.1:{device.port}", cert,
                                (folder / gateway["cca"]).read_bytes())
        assert (phone.code, phone.cargo) == (grpc.StatusCode.OK, [])
        # The phone that collected is this session's first gateway (it received nothing).
        _wait_for_frame(device, render(ClientsView((ClientRow("gw 1", 0, 0),),
                                                   too_big=1)).tobytes())
    finally:
        assert device.stop() == 0
