"""Phones in the field: a JVM-shaped client (the Android gateway) against `courier run`."""

import json
import socket
import ssl
import time
from pathlib import Path

import grpc
import pytest

from courier.protocol import parse_message
from courier.store import Direction, ObjectMeta
from tests.cogrpc.android import PacedProxy, android_collect
from tests.cogrpc.conftest import Courier, World, node

pytestmark = pytest.mark.interop
MIB = 1024 * 1024


def _world(folder: Path, inbound: list[int]) -> World:
    folder.mkdir()
    world = node("make-world", str(folder), json.dumps(
        {"gateways": 1, "outbound": [], "inbound": inbound}))
    world["dir"] = str(folder)
    return world


def _stock(courier: Courier, world: World) -> dict[str, int]:
    """Store the Internet gateway's cargo for the phone; return cargo id -> size."""
    folder = Path(str(world["dir"]))
    sizes = {}
    with courier.offline() as store:
        for name in world["gateways"][0]["inbound"]:
            raw = (folder / name).read_bytes()
            message = parse_message(raw)
            store.put(ObjectMeta.from_message(message, Direction.TO_PRIVATE), raw)
            sizes[message.id] = len(raw)
    return sizes


def _wait_for(courier: Courier, **expected: int) -> None:
    """Wait until `courier status` shows these figures (the daemon publishes them each second)."""
    deadline = time.monotonic() + 10
    while {k: courier.status()[k] for k in expected} != expected:
        assert time.monotonic() < deadline, courier.status()
        time.sleep(0.2)


def _cca(world: World) -> bytes:
    return (Path(str(world["dir"])) / world["gateways"][0]["cca"]).read_bytes()


def _cert(courier: Courier) -> bytes:
    return (courier.data_dir / "keys" / "tls.crt").read_bytes()


@pytest.mark.timeout(180)
def test_android_gets_all_small_cargo_and_the_big_one_waits_for_a_desktop(
    courier: Courier, tmp_path: Path,
) -> None:
    world = _world(tmp_path / "world", [8 * MIB - 4096, 1500, 30_000, 2 * MIB, 700])
    sizes = _stock(courier, world)
    phone = android_collect(courier.host, _cert(courier), _cca(world))
    assert phone.code is grpc.StatusCode.OK
    got = sorted(parse_message(c).id for c in phone.cargo)
    assert got == sorted(i for i, size in sizes.items() if size < 4 * MIB)
    assert courier.status()["cargo_to_private"] == 1  # the 8 MiB cargo is kept...
    _wait_for(courier, too_big_for_android=1, too_big_gateways=1)  # ...and counted
    gateway = world["gateways"][0]
    cca = str(Path(str(world["dir"])) / gateway["cca"])
    desktop = node("collect", courier.host, cca, gateway["id"])  # the official JS client
    assert desktop["errors"] == []
    assert [c["size"] for c in desktop["cargo"]] == [
        max(sizes.values())]
    assert courier.status()["cargo_to_private"] == 0
    _wait_for(courier, too_big_for_android=0, too_big_gateways=0)


@pytest.mark.timeout(240)
def test_a_phone_on_a_1_mb_per_s_link_ends_every_call_ok_and_gets_everything(
    courier: Courier, tmp_path: Path,
) -> None:
    world = _world(tmp_path / "world", [2 * MIB - 8192] * 6)
    waiting = _stock(courier, world)
    host, port = courier.host.split(":")
    got: list[str] = []
    calls: list[tuple[grpc.StatusCode, int, float]] = []
    with PacedProxy((host, int(port)), rate=1_000_000) as proxy:
        while len(got) < len(waiting) and len(calls) < 12:
            call = android_collect(f"127.0.0.1:{proxy.port}", _cert(courier), _cca(world))
            calls.append((call.code, len(call.cargo), round(call.seconds, 2)))
            assert call.code is grpc.StatusCode.OK, calls  # never DEADLINE_EXCEEDED
            got += [parse_message(c).id for c in call.cargo]
    assert sorted(got) == sorted(waiting), calls
    assert len(calls) <= 7, calls  # about 2 MB fits in a 5 s call at 1 MB/s, not 4
    assert courier.status()["cargo_to_private"] == 0


@pytest.mark.timeout(60)
def test_the_server_speaks_tls_1_2_with_alpn_h2_and_names_its_address(courier: Courier) -> None:
    # What OkHttp offers (TLS 1.2 only, ALPN h2) and checks (an iPAddress SAN equal to the
    # address dialled), with the ssl module, since grpcio cannot restrict its TLS version.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(["h2"])
    context.load_verify_locations(cadata=_cert(courier).decode())
    host, port = courier.host.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        assert tls.version() == "TLSv1.2"
        assert tls.selected_alpn_protocol() == "h2"
