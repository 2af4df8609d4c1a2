"""Presence on the hotspot: stations, leases and TCP peers keep a session open (PROTOCOL.md 10)."""

import socket
from pathlib import Path

import pytest

from courier.net.presence import (
    PresenceTracker,
    Sample,
    lease_expiries,
    read_leases,
    read_stations,
    read_tcp_peers,
    station_of,
    tcp_peers,
)
from courier.panel.session import SessionMachine, SessionSettings
from courier.panel.session_types import ClientActivity, PowerOn, ShortPress, State, Tick
from tests.net.fake_hostapd import FakeHostapd

TABLE = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid
   0: 0161610A:53E1 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 1
   1: 0161610A:53E1 0261610A:C350 01 00000000:00000000 00:00000000 00000000   999        0 2
   2: 0161610A:53E1 0361610A:C351 08 00000000:00000000 00:00000000 00000000   999        0 3
   3: 0161610A:0050 0461610A:C352 01 00000000:00000000 00:00000000 00000000   999        0 4
   4: 0161610A:53E1 0561610A:C353 06 00000000:00000000 00:00000000 00000000   999        0 5
   5: garbage
"""


def state_of(machine: SessionMachine) -> State:
    # Read through a call: mypy would keep `machine.state` narrowed across `handle`.
    return machine.state


def test_tcp_table_gives_the_peers_of_the_cogrpc_port_only() -> None:
    # 0x53E1 = 21473; the listening socket, TIME_WAIT and other ports do not count.
    assert tcp_peers(TABLE, 21473) == {"10.97.97.2", "10.97.97.3"}
    assert tcp_peers(TABLE, 443) == set()


def test_ipv6_tables_and_dual_stack_peers_are_read() -> None:
    local = "0" * 32 + ":53E1"
    table = "\n".join(["  sl  local_address remote_address st",
                       f"   0: {local} 0000000000000000FFFF0000D700610A:C350 01",
                       f"   1: {local} 000080FE00000000FF005702FEB2D4A1:C351 01"])
    assert tcp_peers(table, 21473) == {"10.97.0.215", "fe80::257:ff:a1d4:b2fe"}


def test_dnsmasq_leases_and_hostapd_replies_are_read() -> None:
    leases = "1764900000 AA:BB:CC:00:11:22 10.97.0.23 phone *\nbad line\n"
    assert lease_expiries(leases) == {"aa:bb:cc:00:11:22": 1764900000}
    assert station_of("02:00:00:00:01:00\nflags=[AUTH]\n") == "02:00:00:00:01:00"
    assert station_of("") is None
    assert station_of("FAIL\n") is None


def test_a_missing_source_reads_as_none(tmp_path: Path) -> None:
    assert read_leases(tmp_path / "absent.leases") is None
    assert read_stations(tmp_path / "hostapd" / "wlan0") is None
    assert read_tcp_peers(21473, [tmp_path / "absent"]) is None


@pytest.mark.timeout(30)
def test_stations_come_from_the_hostapd_control_socket(tmp_path: Path) -> None:
    control = tmp_path / "hostapd" / "wlan0"
    with FakeHostapd(control) as hostapd:
        assert read_stations(control) == set()
        hostapd.stations = ["02:00:00:00:01:00", "02:00:00:00:02:00"]
        assert read_stations(control) == {"02:00:00:00:01:00", "02:00:00:00:02:00"}


@pytest.mark.timeout(30)
def test_a_tcp_connection_to_the_port_is_seen_in_this_namespace() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        assert read_tcp_peers(port) == set()
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            with accepted:
                assert read_tcp_peers(port) == {"127.0.0.1"}
            del client


def test_an_old_lease_is_no_one_but_a_renewed_one_is_someone() -> None:
    tracker = PresenceTracker()
    tracker.observe(Sample(leases={"aa": 100}), 1.0)  # found at start: counted once
    assert not tracker.observe(Sample(leases={"aa": 100}), 2.0)
    assert tracker.observe(Sample(leases={"aa": 200}), 3.0)  # renewed
    assert tracker.observe(Sample(leases={"aa": 200, "bb": 50}), 4.0)  # a new phone
    assert tracker.last_seen == 4.0
    assert not tracker.observe(Sample(stations=set(), tcp_peers=set()), 5.0)
    assert tracker.last_seen == 4.0


def test_connected_stations_keep_a_session_open_for_15_minutes_without_a_call() -> None:
    # Injected time: the session machine closes after 10 minutes without activity; phones that
    # stay on the Wi-Fi (their owners about to tap "Sync with courier") count as activity.
    machine = SessionMachine(SessionSettings(idle_close_seconds=600))
    tracker = PresenceTracker()
    machine.handle(PowerOn(clock_trusted=True), 0.0)
    machine.handle(ShortPress(), 0.0)
    assert state_of(machine) is State.HOTSPOT
    seen = 0.0
    for now in range(0, 15 * 60 + 1, 2):  # sampled every 2 s, no gRPC call at all
        tracker.observe(Sample(stations={"02:00:00:00:01:00"}), float(now))
        if tracker.last_seen > seen:
            seen = tracker.last_seen
            machine.handle(ClientActivity(), float(now))
        machine.handle(Tick(), float(now))
    assert state_of(machine) is State.HOTSPOT
    # The phone leaves: the session closes 10 minutes after it was last seen.
    machine.handle(Tick(), 15 * 60 + 599.0)
    assert state_of(machine) is State.HOTSPOT
    machine.handle(Tick(), 15 * 60 + 600.0)
    assert state_of(machine) is State.IDLE
