"""The running daemon on the simulated board, no cable, a Wi-Fi network set: what a press does.

The radio is the one thing faked (tests/app/fake_helper.py stands in for courier-net); the
daemon, its session machine, the Wi-Fi sequence, the Internet check and the sync with an
Internet-gateway double are real.
"""

from pathlib import Path

import pytest

from tests.app.fake_helper import FakeHelper
from tests.app.test_daemon_screens import Frames
from tests.app.test_device_component import Device
from tests.app.test_wipe_during_sync import gateway_env
from tests.cogrpc.conftest import World
from tests.internet.conftest import (  # noqa: F401 - start_double is a fixture
    StartDouble,
    start_double,
    stock,
    wait_until,
)

pytestmark = pytest.mark.interop
OFFICE = ('[hotspot]\ncountry = "KE"\n'
          '[[uplink.wifi]]\nname = "Office"\npassphrase = "office-pass-1"\n')


def routed_interfaces() -> list[str]:
    """Return the interfaces this machine's IPv4 default routes go through."""
    lines = Path("/proc/net/route").read_text().splitlines()[1:]
    return sorted({line.split()[0] for line in lines if line.split()[1] == "00000000"})


@pytest.mark.timeout(180)
def test_a_press_without_cable_syncs_over_the_office_wifi(
    tmp_path: Path, world: World, start_double: StartDouble,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    double = start_double("normal")
    gateway_env(monkeypatch, double.port, double.ca)
    monkeypatch.delenv("COURIER_INTERNET__PROBE")  # the held gateway is checked, as in the field
    # No cable: this machine's own default route counts as a served LAN, never as an uplink.
    monkeypatch.setenv("COURIER_HOTSPOT__LAN_INTERFACES", repr(routed_interfaces()))
    monkeypatch.setenv("COURIER_SESSION__NET_RUN_DIR", f'"{tmp_path / "net"}"')
    helper = FakeHelper(tmp_path / "net")
    helper.visible, helper.keys = {"Office": -45, "Stranger": -30}, {"Office": False}
    files: dict[str, list[str]] = {}

    def stock_first(data_dir: Path) -> None:
        files.update(stock(data_dir, world, [0]))
    device = Device(tmp_path, stock=stock_first, settings=OFFICE, network=True)
    frames = Frames(device.data_dir / "sim")
    try:
        at = device.wait_for("status LED:")
        device.press()  # a refused passphrase: said on the panel, nothing delivered or lost
        at = device.wait_for("-> wifi_sync", at)
        at = device.wait_for("Wi-Fi uplink: Wrong Wi-Fi passphrase for Office", at)
        frames.wait_for_golden("problem_wifi_passphrase")
        assert helper.verbs == ["uplink-scan", "uplink-join Office", "uplink-leave"]
        assert [e for e in double.events() if e["call"] == "deliver"] == []

        helper.keys["Office"] = True  # the organiser fixed the passphrase
        device.press()
        at = device.wait_for("Wi-Fi uplink: Syncing through Office", at)
        at = device.wait_for("session: wifi_sync -> clock_untrusted", at, timeout=60)  # rest
        assert helper.verbs[3:] == ["uplink-scan", "uplink-join Office", "uplink-address",
                                    "uplink-leave"]
        delivered = [e for e in double.events() if e["call"] == "deliver" and e["valid"]]
        assert len(delivered) == len(files["cargo"])  # the double received all the cargo
        assert not helper.client and not helper.hotspot_open

        helper.visible = {"Stranger": -30}  # out of the office: the hotspot opens as before
        helper.scan_seconds = 2.0
        device.press()
        frames.wait_for_golden("wifi_looking")  # shown while the radio scans
        at = device.wait_for("Wi-Fi uplink: No known Wi-Fi in range", at)
        at = device.wait_for("-> hotspot", at)
        wait_until(lambda: helper.hotspot_open)
        assert helper.verbs[7:] == ["uplink-scan", "uplink-leave", "open"]
    finally:
        frames.stop()
        assert device.stop() == 0
        helper.close()


@pytest.mark.timeout(120)
def test_a_wipe_while_looking_for_wifi_leaves_the_radio_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COURIER_HOTSPOT__LAN_INTERFACES", repr(routed_interfaces()))
    monkeypatch.setenv("COURIER_SESSION__NET_RUN_DIR", f'"{tmp_path / "net"}"')
    helper = FakeHelper(tmp_path / "net")
    helper.visible, helper.scan_seconds = {"Office": -45}, 60.0  # a scan that outlasts the wipe
    device = Device(tmp_path, settings=OFFICE, network=True)
    try:
        at = device.wait_for("status LED:")
        device.press()
        at = device.wait_for("Wi-Fi uplink: Looking for Wi-Fi", at)
        device.press("w")  # hold through the countdown and release: a confirmed wipe
        at = device.wait_for("Wi-Fi sync stopped: leaving the network", at, timeout=40)
        device.wait_for("store wiped", at)
        assert helper.verbs == ["uplink-scan", "uplink-leave"]  # never joined, never opened
        assert not helper.client
    finally:
        assert device.stop() == 0
        helper.close()
