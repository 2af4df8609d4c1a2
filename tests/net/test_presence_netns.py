"""Presence sources against real dnsmasq and real TCP across namespaces (PROTOCOL.md 10)."""

import json
import subprocess
import time

import pytest

from courier.net.presence import PresenceTracker, Sample, read_leases
from tests.conftest import REPO
from tests.net.conftest import COURIER_ADDRESS, PYTHON, Lab, wait_for_line
from tests.net.test_hotspot_netns import _lease

pytestmark = pytest.mark.netns
PEERS = ("import json, sys; from courier.net.presence import read_tcp_peers; "
         "print(json.dumps(sorted(read_tcp_peers(int(sys.argv[1])) or [])))")
HOLD = ("import socket, sys, time; s = socket.create_connection((sys.argv[1], 21473)); "
        "print('connected', flush=True); time.sleep(30)")


@pytest.mark.timeout(180)
def test_a_phone_joining_is_seen_in_the_leases_and_its_connection_in_the_tcp_table(
    open_hotspot: Lab,
) -> None:
    lab = open_hotspot
    leases = lab.work / "run" / "dnsmasq.leases"
    tracker = PresenceTracker()
    tracker.observe(Sample(leases=read_leases(leases)), 1.0)  # whatever was there before
    assert not tracker.observe(Sample(leases=read_leases(leases)), 2.0)
    phone = _lease(lab)
    assert tracker.observe(Sample(leases=read_leases(leases)), 3.0)  # the new lease: someone

    data = lab.work / "courier-data"
    subprocess.run([PYTHON, "-m", "courier", "init", "--data-dir", str(data), "--config",
                    "/nonexistent"], cwd=REPO, check=True, capture_output=True, timeout=60)
    log = lab.work / "courier.log"
    lab.courier.popen([PYTHON, "-m", "courier", "run", "--config", "/nonexistent", "--data-dir",
                       str(data), "--no-panel", "--no-network", "--listen",
                       f"{COURIER_ADDRESS}:21473", "--tls-address", COURIER_ADDRESS], log)
    wait_for_line(log, "serving CogRPC")

    def peers() -> list[str]:
        out = lab.courier.run(PYTHON, "-c", PEERS, "21473", timeout=30).stdout
        addresses: list[str] = json.loads(out)
        return addresses

    assert peers() == []
    held = lab.work / "hold.log"
    lab.phone.popen([PYTHON, "-c", HOLD, COURIER_ADDRESS], held)  # a probe, before any gRPC
    wait_for_line(held, "connected")
    deadline = time.monotonic() + 10
    while phone["ip"] not in (seen := peers()):
        assert time.monotonic() < deadline, seen
        time.sleep(0.2)
