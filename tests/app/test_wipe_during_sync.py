"""A panic wipe while the running daemon syncs with the Internet: the sync stops first."""

import time
from pathlib import Path

import pytest

from courier.panel.screens import render
from courier.panel.views import WipedView
from tests.app.test_device_component import Device
from tests.app.test_field_daemon import _wait_for_frame
from tests.cogrpc.conftest import World
from tests.internet.conftest import (  # noqa: F401 - start_double is a fixture
    StartDouble,
    start_double,
    stock,
    wait_until,
)
from tests.internet.test_daemon_sync import _has_default_route

pytestmark = pytest.mark.interop


def written(data_dir: Path) -> dict[str, int]:
    """Return every file of the data directory but the simulator's frames, with its mtime."""
    return {str(p.relative_to(data_dir)): p.stat().st_mtime_ns for p in data_dir.rglob("*")
            if p.is_file() and "sim" not in p.relative_to(data_dir).parts}


def connections_to(port: int) -> int:
    """Return how many established TCP connections on this machine dial `port`."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                count += 1
    return count


def gateway_env(monkeypatch: pytest.MonkeyPatch, port: int, ca: Path) -> None:
    """Point the daemon at the Internet-gateway double, and count the uplink up when it answers."""
    monkeypatch.setenv("COURIER_INTERNET__GATEWAYS", f'{{"gateway.example" = "127.0.0.1:{port}"}}')
    monkeypatch.setenv("COURIER_INTERNET__CA_FILE", f'"{ca}"')
    monkeypatch.setenv("COURIER_INTERNET__PROBE", f'"127.0.0.1:{port}"')
    monkeypatch.setenv("COURIER_INTERNET__REPLY_WAIT_SECONDS", "0")


@pytest.mark.timeout(120)
def test_a_wipe_during_an_internet_sync_stops_it_and_nothing_is_written_after(
    tmp_path: Path, world: World, start_double: StartDouble,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not _has_default_route():
        pytest.skip("no default route here: the uplink can never be up")
    double = start_double("stall")  # takes the cargo and never acks: the sync keeps going
    gateway_env(monkeypatch, double.port, double.ca)

    def stock_first(data_dir: Path) -> None:
        stock(data_dir, world, [0])
    device = Device(tmp_path, stock=stock_first)
    try:
        at = device.wait_for("uplink: UplinkUp")
        device.press()
        at = device.wait_for("status LED: fast_blink", at)  # syncing
        wait_until(lambda: connections_to(double.port) > 0, 10)  # the delivery call is open
        device.press("w")  # hold through the countdown and release: a confirmed wipe
        at = device.wait_for("stopping the Internet sync", at, timeout=40)
        at = device.wait_for("store wiped", at)
        after = written(device.data_dir)
        _wait_for_frame(device, render(WipedView()).tobytes())
        wait_until(lambda: connections_to(double.port) == 0, 5)  # the sync hung up
        time.sleep(3)  # the stalled call's deadline and a retry would have come by now
        assert written(device.data_dir) == after
        assert not (device.data_dir / "state" / "cca-retry.json").exists()
        assert not (device.data_dir / "store").exists()
        assert "delivery call" not in device.log.read_text()[at:]
    finally:
        assert device.stop() == 0
