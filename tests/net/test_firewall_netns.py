"""The hotspot firewall rejects every protocol but the served ones, not only TCP (real nftables)."""

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from courier.net.credentials import ensure_wifi_credentials
from tests.conftest import REPO
from tests.net.conftest import COURIER_ADDRESS, PYTHON, skip_without_namespaces, wait_for_line
from tests.net.netns import Netns, veth

pytestmark = [pytest.mark.netns, pytest.mark.timeout(120)]
PROBE = str(REPO / "tests" / "net" / "icmp_probe.py")
UPLINK_ADDRESS = "198.51.100.1"
UDP_PORT = 9999
ADMIN_PROHIBITED = "icmp-3-13"  # what `reject with icmpx type admin-prohibited` sends for IPv4


def _probe(ns: Netns, host: str) -> dict[str, str]:
    out = ns.run(PYTHON, PROBE, "probe", host, str(UDP_PORT), timeout=60).stdout
    return {line["probe"]: line["answer"] for line in map(json.loads, out.splitlines())}


@pytest.fixture
def hotspot20(tmp_path: Path) -> Iterator[tuple[Netns, Netns, Netns]]:
    """A courier with its hotspot open (real net-setup), a phone on it, a host on its uplink."""
    skip_without_namespaces()
    made: list[Netns] = []
    try:
        courier, phone, uplink = (Netns(role) for role in ("courier20", "phone20", "uplink20"))
        made += [courier, phone, uplink]
        veth(courier, "hs0", phone, "wlan0")
        veth(courier, "up0", uplink, "eth0")
        courier.run("ip", "addr", "add", f"{UPLINK_ADDRESS}/24", "dev", "up0")
        uplink.run("ip", "addr", "add", "198.51.100.2/24", "dev", "eth0")
        phone.run("ip", "addr", "add", "10.97.0.77/24", "dev", "wlan0")
        data_dir = tmp_path / "data"
        ensure_wifi_credentials(data_dir)
        config = tmp_path / "courier.toml"
        config.write_text('[hotspot]\ninterface = "hs0"\nsubnet = "10.97.0.0/24"\n')
        log = tmp_path / "net-setup.log"
        setup = courier.popen(
            [sys.executable, "-m", "courier", "net-setup", "--config", str(config),
             "--data-dir", str(data_dir), "--run-dir", str(tmp_path / "run"), "--open"], log)
        wait_for_line(log, "net-setup ready")
        udp_log = tmp_path / "udp.log"
        courier.popen([PYTHON, PROBE, "serve-udp", str(UDP_PORT)], udp_log)
        wait_for_line(udp_log, "listening")
        yield courier, phone, uplink
        assert courier.stop(setup) == 0, log.read_text()
    finally:
        for ns in made:
            ns.remove()


def test_udp_icmp_and_other_protocols_from_the_hotspot_are_rejected_not_answered(
    hotspot20: tuple[Netns, Netns, Netns],
) -> None:
    _, phone, uplink = hotspot20
    # The probes see answers where no firewall stands: the same listener and kernel answer on
    # the uplink (echo, UDP echo, "protocol unreachable"), so a rejection below is the rule's.
    assert _probe(uplink, UPLINK_ADDRESS) == {
        "udp": "reply", "icmp-echo": "reply", "ip-proto-253": "icmp-3-2"}
    assert _probe(phone, COURIER_ADDRESS) == {
        "udp": ADMIN_PROHIBITED, "icmp-echo": ADMIN_PROHIBITED, "ip-proto-253": ADMIN_PROHIBITED}
