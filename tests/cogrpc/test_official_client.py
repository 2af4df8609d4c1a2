"""The official @relaycorp/cogrpc client (initLan over TLS) against `courier run`."""

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest

from courier.protocol import parse_message
from courier.store import Direction, Kind, ObjectMeta
from tests.cogrpc.conftest import Courier, World, node

pytestmark = pytest.mark.interop


def _files(world: World, gateway: int, kind: Literal["outbound", "inbound"]) -> list[str]:
    entry = world["gateways"][gateway]
    return [str(Path(str(world["dir"])) / name) for name in entry[kind]]


def _put_inbound(courier: Courier, world: World, gateway: int) -> dict[str, str]:
    """Store the Internet gateway's replies for one private gateway, as an Internet sync would."""
    digests = {}
    with courier.offline() as store:
        for name in _files(world, gateway, "inbound"):
            raw = Path(name).read_bytes()
            message = parse_message(raw)
            store.put(ObjectMeta.from_message(message, Direction.TO_PRIVATE), raw)
            digests[message.id] = hashlib.sha256(raw).hexdigest()
    return digests


def test_delivery_of_many_cargo_including_one_near_9_mib(
    courier: Courier, world: World,
) -> None:
    files = _files(world, 0, "outbound")
    assert max(Path(f).stat().st_size for f in files) > 8_300_000
    answer = node("deliver", courier.host, *files)
    assert sorted(answer["acked"]) == sorted(files), answer
    status = courier.status()
    assert status["cargo_to_internet"] == len(files)
    with courier.offline() as store:
        held = store.select_for_address("gateway.example", datetime.now(UTC), Kind.CARGO)
        stored = sorted(hashlib.sha256(store.get(o.ref)).hexdigest() for o in held)
    assert stored == sorted(hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files)


def test_collection_returns_exactly_each_gateways_cargo(
    courier: Courier, world: World,
) -> None:
    mine = _put_inbound(courier, world, 0)
    theirs = _put_inbound(courier, world, 1)
    gateways = world["gateways"]
    cca0 = str(Path(str(world["dir"])) / gateways[0]["cca"])
    answer = node("collect", courier.host, cca0, gateways[0]["id"])
    assert answer["errors"] == []
    got = {c["id"]: c["sha256"] for c in answer["cargo"]}
    assert got == mine
    status = courier.status()
    assert status["cargo_to_private"] == len(theirs)  # acked cargo was deleted
    assert status["ccas"] == 1  # the CCA was persisted for the Internet sync
    cca1 = str(Path(str(world["dir"])) / gateways[1]["cca"])
    answer = node("collect", courier.host, cca1, gateways[1]["id"])
    assert {c["id"]: c["sha256"] for c in answer["cargo"]} == theirs
    again = node("collect", courier.host, cca0, gateways[0]["id"])
    assert again == {"cargo": [], "errors": []}
    assert courier.status()["ccas"] == 2  # a replayed CCA is not stored twice


def test_garbage_in_the_stream_is_acked_and_dropped_and_the_rest_stored(
    courier: Courier, world: World, tmp_path: Path,
) -> None:
    garbage = tmp_path / "garbage.cargo"
    garbage.write_bytes(b"Awala\x43\x00" + b"\x30\x80" * 100)
    expired_type = tmp_path / "cca-as-cargo"
    expired_type.write_bytes(Path(_files(world, 2, "outbound")[0]).read_bytes()[:5] + b"\x44"
                             + Path(_files(world, 2, "outbound")[0]).read_bytes()[6:])
    good = _files(world, 2, "outbound")[:3]
    answer = node("deliver", courier.host, str(garbage), str(expired_type), *good)
    assert sorted(answer["acked"]) == sorted([str(garbage), str(expired_type), *good])
    assert courier.status()["cargo_to_internet"] == 3


def test_cargo_of_an_unknown_gateway_stays_and_the_courier_keeps_serving(
    courier: Courier, world: World,
) -> None:
    _put_inbound(courier, world, 1)
    gateways = world["gateways"]
    cca2 = str(Path(str(world["dir"])) / gateways[2]["cca"])
    assert node("collect", courier.host, cca2, gateways[2]["id"]) == {"cargo": [], "errors": []}
    assert courier.status()["cargo_to_private"] == 3
    assert courier.process.poll() is None
