"""Cheap resource attacks on the real daemon: the legitimate official client keeps syncing.

Each test starts `courier run` with a soft fd limit of 1 024 (as under systemd), puts an attack
in place from loopback source addresses 127.0.0.2 and up (other clients than the legitimate
gateways on 127.0.0.1), runs the legitimate syncs (official JS client, collecting and
delivering at once), and checks every sync fully worked within its deadline and the daemon's
peak RSS stayed under 200 MB. Figures: ABUSE_FIGURES=FILE appends them to FILE as JSON lines.
"""

import base64
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest

from courier.cogrpc.generated import cogrpc_pb2
from tests.abuse.conftest import (
    IDLE_SECONDS,
    RSS_LIMIT_KB,
    Attacker,
    Target,
    peak_rss_kb,
    sources,
)
from tests.abuse.material import BigCargoGateway, cargo_with_giant_certificates
from tests.cogrpc.stub import cargo_relay

pytestmark = [pytest.mark.abuse, pytest.mark.interop, pytest.mark.timeout(150)]
HANDSHAKE_SECONDS = 5.0  # the server's TLS handshake limit (courier.cogrpc.serving)
LIMIT = 10 * 1024 * 1024


def _channel(target: Target) -> grpc.Channel:
    cert = (target.courier.data_dir / "keys" / "tls.crt").read_bytes()
    return grpc.secure_channel(
        target.courier.host, grpc.ssl_channel_credentials(root_certificates=cert),
        options=[("grpc.max_receive_message_length", LIMIT),
                 ("grpc.max_send_message_length", LIMIT)])


def _check(target: Target, attack: str) -> None:
    figures = target.report(attack)
    assert target.failures == [], figures
    assert figures["syncs"] == 3
    assert peak_rss_kb(target.courier.process.pid) < RSS_LIMIT_KB, figures


def _hold(since: float, seconds: float) -> None:
    """Keep an attack up until `seconds` after `since`."""
    time.sleep(max(0.0, since + seconds - time.monotonic()))


def test_idle_deliveries_from_one_address(launch: Callable[..., Target],
                                          attacks: list[Attacker]) -> None:
    target = launch()
    started = time.monotonic()
    # 30 connections x 3 streams of DeliverCargo that never send, re-opened when ended: more
    # than the global cap (64), so only the per-client cap keeps room for the others.
    attacks.append(Attacker("idle-deliver", target.port,
                            {"sources": ["127.0.0.2"], "connections": 30, "streams": 3}))
    time.sleep(0.5)
    target.sync_all()
    _hold(started, 2 * IDLE_SECONDS + 2)
    outcomes = attacks[0].stop()
    _check(target, "90 idle DeliverCargo calls from one address")
    assert outcomes.get("status_8", 0) > 0, outcomes  # refused beyond the per-client cap
    # Four at a time are let in and end when idle, then the next four: slots are given back.
    assert outcomes.get("status_0", 0) >= 8, outcomes


def test_idle_deliveries_from_several_addresses(launch: Callable[..., Target],
                                                attacks: list[Attacker]) -> None:
    target = launch()
    started = time.monotonic()
    attacks.append(Attacker("idle-deliver", target.port,
                            {"sources": sources(2, 11), "connections": 1, "streams": 3}))
    time.sleep(0.5)
    target.sync_all()
    _hold(started, IDLE_SECONDS + 2)
    outcomes = attacks[0].stop()
    _check(target, "33 idle DeliverCargo calls from 11 addresses")
    assert outcomes.get("status_0", 0) >= 33, outcomes  # each ended, cleanly, when idle


def test_an_idle_delivery_is_ended_after_acking_what_it_stored(
    launch: Callable[..., Target],
) -> None:
    target = launch()
    folder = Path(str(target.world["dir"]))
    cargo = [(folder / name).read_bytes()
             for name in target.world["gateways"][0]["outbound"][:2]]
    release = threading.Event()

    def two_then_silence() -> Iterator[cogrpc_pb2.CargoDelivery]:
        yield from (cogrpc_pb2.CargoDelivery(id=f"c{i}", cargo=c) for i, c in enumerate(cargo))
        release.wait(60)

    with _channel(target) as channel:
        call = cargo_relay(channel).DeliverCargo(two_then_silence(),
                                                                    timeout=60)
        try:
            acks = sorted(ack.id for ack in call)  # ends, with OK, once idle
            assert call.code() is grpc.StatusCode.OK
        finally:
            release.set()
    assert acks == ["c0", "c1"]
    assert target.courier.status()["cargo_to_internet"] == 2


def test_silent_tcp_connections(launch: Callable[..., Target],
                                attacks: list[Attacker]) -> None:
    target = launch()
    started = time.monotonic()
    attacks.append(Attacker("silent-tcp", target.port,
                            {"sources": ["127.0.0.2"], "count": 1100}))
    target.sync_all()
    _hold(started, HANDSHAKE_SECONDS + 5)  # slack for a loaded machine
    outcomes = attacks[0].stop()
    _check(target, "1 100 silent TCP connections")
    assert outcomes.get("closed_by_server", 0) >= 1000, outcomes  # the handshake limit


def test_client_hello_trickled_byte_by_byte(launch: Callable[..., Target],
                                            attacks: list[Attacker]) -> None:
    target = launch()
    started = time.monotonic()
    attacks.append(Attacker("trickle", target.port,
                            {"sources": sources(2, 5), "count": 100, "intervalMs": 100}))
    target.sync_all()
    _hold(started, HANDSHAKE_SECONDS + 5)  # slack for a loaded machine
    outcomes = attacks[0].stop()
    _check(target, "100 ClientHellos trickled byte by byte")
    assert outcomes.get("closed_mid_hello", 0) == 100, outcomes  # cut by the handshake limit


def test_cargo_with_giant_certificates(launch: Callable[..., Target]) -> None:
    target = launch()
    acked: list[str] = []

    def attack() -> None:
        with _channel(target) as channel:
            stub = cargo_relay(channel)
            giant = cargo_with_giant_certificates(60, 4 * 1024 * 1024)
            requests = (cogrpc_pb2.CargoDelivery(id=f"g{i}", cargo=c) for i, c in enumerate(giant))
            acked.extend(ack.id for ack in stub.DeliverCargo(requests, timeout=120))

    attacker = threading.Thread(target=attack, name="giant-certificates")
    attacker.start()
    try:
        time.sleep(1)
        target.sync_all()
    finally:
        attacker.join(120)
    _check(target, "60 cargo with 4 MiB certificates")
    assert len(acked) == 60  # acked and dropped: refused, not stored
    assert target.courier.status()["cargo_to_internet"] == 9  # the legitimate cargo only


def test_zero_window_collections_with_big_cargo_waiting(
    launch: Callable[..., Target], attacks: list[Attacker],
) -> None:
    gateway = BigCargoGateway()
    target = launch(gateway.cargo(20, 8 * 1024 * 1024 - 4096))
    started = time.monotonic()
    header = "Relaynet-CCA " + base64.b64encode(gateway.cca()).decode()
    attacks.append(Attacker("zero-window", target.port, {
        "sources": sources(20, 14), "connections": 1, "streams": 2, "authorization": header}))
    time.sleep(1)
    target.sync_all()
    _hold(started, 15)
    attacks[0].stop()
    _check(target, "28 zero-window CollectCargo calls, 20 x 8 MiB waiting")
