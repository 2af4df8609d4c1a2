"""mDNS discovery from another namespace, and uplink events from route changes."""

import json
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypedDict, cast

import pytest

from tests.conftest import REPO
from tests.net.conftest import PYTHON, skip_without_namespaces, wait_for_line
from tests.net.netns import Netns, veth

pytestmark = pytest.mark.netns
NET = REPO / "tests" / "net"


@pytest.fixture
def pair() -> Iterator[tuple[Netns, Netns]]:
    """A courier and a phone namespace on one link, 10.97.0.1 and 10.97.0.5."""
    skip_without_namespaces()
    made: list[Netns] = []
    try:
        courier, phone = Netns("courier"), Netns("phone")
        made += [courier, phone]
        veth(courier, "hs0", phone, "wlan0")
        courier.run("ip", "addr", "add", "10.97.0.1/24", "dev", "hs0")
        phone.run("ip", "addr", "add", "10.97.0.5/24", "dev", "wlan0")
        yield courier, phone
    finally:
        for ns in made:
            ns.remove()


class Event(TypedDict, total=False):
    """A line of mdns_browse.py (a service seen) or of uplink_watch.py (the uplink changed)."""

    event: str  # always there
    name: str
    seconds: float
    at: float
    addresses: list[str]
    port: int
    txt: dict[str, str]
    interface: str
    gateway: str
    reason: str


def _events(log: Path) -> list[Event]:
    # Each JSON line is one event of the shape above.
    return [cast("Event", json.loads(line))
            for line in log.read_text().splitlines() if line.startswith("{")]


def _wait_event(log: Path, predicate: Callable[[Event], bool], timeout: float = 15) -> Event:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in _events(log):
            if predicate(event):
                return event
        time.sleep(0.05)
    pytest.fail(f"no matching event in {log.read_text()}")


def test_phone_resolves_service_then_sees_update_and_goodbye(
    pair: tuple[Netns, Netns], tmp_path: Path,
) -> None:
    courier, phone = pair
    browse_log, advertise_log = tmp_path / "browse.log", tmp_path / "advertise.log"
    phone.popen([PYTHON, str(NET / "mdns_browse.py"), "10.97.0.5"], browse_log)
    _wait_event(browse_log, lambda e: e["event"] == "browsing")
    started = time.monotonic()
    advertiser = courier.popen(
        [PYTHON, str(NET / "mdns_advertise.py"), "Courier-TEST", "10.97.0.1"], advertise_log)
    wait_for_line(advertise_log, "advertising")
    added = _wait_event(browse_log, lambda e: e["event"] == "added" and "txt" in e)
    registered = float(advertise_log.read_text().split()[1])
    print(f"mDNS: resolved {time.monotonic() - started:.2f} s after the advertiser process "
          f"started, {float(added['at']) - registered:.3f} s after registration (probing done)")
    assert added["name"] == "Courier-TEST._awala-crc._tcp.local."
    assert added["addresses"] == ["10.97.0.1"]
    assert added["port"] == 21473
    txt = added["txt"]
    assert isinstance(txt, dict)
    assert txt["tls"] == "1" and txt["name"] == "Courier-TEST" and txt["state"] == "ready"
    assert txt["version"]

    advertiser.send_signal(signal.SIGUSR1)
    wait_for_line(advertise_log, "updated")
    updated = _wait_event(browse_log, lambda e: e["event"] == "updated" and
                          isinstance(e.get("txt"), dict) and e["txt"]["state"] == "session")
    assert updated["addresses"] == ["10.97.0.1"]

    assert courier.stop(advertiser) == 0
    assert "stopped" in advertise_log.read_text()
    # Goodbye packets give the records a 1 s TTL; the browser notices at its next cache sweep.
    _wait_event(browse_log, lambda e: e["event"] == "removed", timeout=20)


def test_uplink_events_follow_the_default_route(pair: tuple[Netns, Netns], tmp_path: Path) -> None:
    courier, phone = pair
    # "The Internet" is a listener in the phone namespace reached through a second link.
    veth(courier, "eth0", phone, "inet0")
    phone.run("ip", "addr", "add", "203.0.113.2/24", "dev", "inet0")
    listener_log, monitor_log = tmp_path / "listener.log", tmp_path / "monitor.log"
    phone.popen([PYTHON, str(NET / "listener.py"), "203.0.113.2:443"], listener_log)
    wait_for_line(listener_log, "listening")
    courier.popen([PYTHON, str(NET / "uplink_watch.py"), "hs0", "203.0.113.2", "443"],
                  monitor_log)
    _wait_event(monitor_log, lambda e: e["event"] == "down")

    courier.run("ip", "addr", "add", "203.0.113.1/24", "dev", "eth0")
    courier.run("ip", "route", "add", "default", "via", "203.0.113.2", "dev", "eth0")
    up = _wait_event(monitor_log, lambda e: e["event"] == "up")
    assert up == {"event": "up", "interface": "eth0", "gateway": "203.0.113.2"}

    courier.run("ip", "route", "del", "default")
    _wait_event(monitor_log, lambda e: len(_events(monitor_log)) >= 3)
    assert _events(monitor_log)[2] == {"event": "down", "reason": "no default route"}

    # A default route through the hotspot interface is not an uplink.
    courier.run("ip", "route", "add", "default", "via", "10.97.0.5", "dev", "hs0")
    time.sleep(1)
    assert [e["event"] for e in _events(monitor_log)] == ["down", "up", "down"]
