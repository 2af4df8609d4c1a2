"""`courier sync-internet --wifi`: the daemon's Wi-Fi sequence from the command line.

With a daemon running it asks the daemon (refused while the hotspot holds the radio); without
one it runs the same sequence in its own process. courier-net is the scripted stand-in.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.fake_helper import FakeHelper
from tests.app.test_device_component import Device
from tests.app.test_wifi_daemon import OFFICE, routed_interfaces
from tests.app.test_wipe_during_sync import gateway_env
from tests.cogrpc.conftest import World
from tests.conftest import REPO
from tests.internet.conftest import (  # noqa: F401 - start_double is a fixture
    StartDouble,
    start_double,
    stock,
)

pytestmark = pytest.mark.interop
JOINED = ["uplink-scan", "uplink-join Office", "uplink-address", "uplink-leave"]


def sync_wifi(config: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run `courier sync-internet --wifi` as an organiser would."""
    return subprocess.run(
        [sys.executable, "-m", "courier", "sync-internet", "--wifi", "--config", str(config),
         "--data-dir", str(data_dir), "--reply-wait", "0"], cwd=REPO, capture_output=True,
        text=True, timeout=120, check=False, env=dict(os.environ))


@pytest.fixture
def no_cable(tmp_path: Path, start_double: StartDouble,  # noqa: F811
             monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHelper]:
    """An Internet-gateway double reachable only 'through Wi-Fi', and courier-net's stand-in."""
    double = start_double("normal")
    gateway_env(monkeypatch, double.port, double.ca)
    monkeypatch.delenv("COURIER_INTERNET__PROBE")
    monkeypatch.setenv("COURIER_HOTSPOT__LAN_INTERFACES", repr(routed_interfaces()))
    monkeypatch.setenv("COURIER_SESSION__NET_RUN_DIR", f'"{tmp_path / "net"}"')
    helper = FakeHelper(tmp_path / "net")
    helper.visible, helper.keys = {"Office": -45}, {"Office": True}
    yield helper
    helper.close()


@pytest.mark.timeout(180)
def test_the_command_asks_the_daemon_and_is_refused_while_the_hotspot_is_open(
        tmp_path: Path, world: World, no_cable: FakeHelper) -> None:
    helper = no_cable

    def stock_first(data_dir: Path) -> None:
        stock(data_dir, world, [0])
    device = Device(tmp_path, stock=stock_first, settings=OFFICE, network=True)
    config = tmp_path / "courier.toml"
    try:
        done = sync_wifi(config, device.data_dir)
        assert done.returncode == 0, done.stderr
        assert "Wi-Fi: Joining Office" in done.stdout
        assert "gateway.example: delivered 3, collected 3" in done.stdout
        assert helper.verbs == JOINED
        assert "Internet sync over Wi-Fi asked for on the control socket" in (
            device.log.read_text())

        helper.visible = {}  # a press finds nothing known: the hotspot opens
        device.press()
        device.wait_for("-> hotspot")
        refused = sync_wifi(config, device.data_dir)
        assert refused.returncode == 2
        assert "the hotspot is open: end the session with a press first" in refused.stderr
        assert helper.verbs[len(JOINED):] == ["uplink-scan", "uplink-leave", "open"]
    finally:
        assert device.stop() == 0


@pytest.mark.timeout(120)
def test_without_a_daemon_the_command_runs_the_same_sequence_itself(
        tmp_path: Path, world: World, no_cable: FakeHelper) -> None:
    helper = no_cable
    data_dir = tmp_path / "data"
    config = tmp_path / "courier.toml"
    config.write_text(OFFICE)
    subprocess.run([sys.executable, "-m", "courier", "init", "--data-dir", str(data_dir),
                    "--config", str(config)], cwd=REPO, check=True, capture_output=True,
                   timeout=60)
    stock(data_dir, world, [0])
    helper.keys = {"Office": False}
    refused = sync_wifi(config, data_dir)
    assert refused.returncode == 2
    assert "courier: Wrong Wi-Fi passphrase for Office" in refused.stderr
    helper.keys = {"Office": True}
    done = sync_wifi(config, data_dir)
    assert done.returncode == 0, done.stderr
    assert "gateway.example: delivered 3, collected 3" in done.stdout
    assert helper.verbs == ["close", "uplink-scan", "uplink-join Office", "uplink-leave",
                            "close", *JOINED]
