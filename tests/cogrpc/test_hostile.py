"""A JVM-like Python client, and hostile clients: the server answers clearly and stays up."""

import base64
import concurrent.futures
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from courier.cogrpc.generated import cogrpc_pb2
from courier.protocol import parse_message
from courier.store import Direction, ObjectMeta
from tests.cogrpc.conftest import NEAR_LIMIT_PAYLOAD, Collected, Courier, Delivered, World, node
from tests.cogrpc.stub import cargo_relay

pytestmark = pytest.mark.interop
LIMIT = 10 * 1024 * 1024


def _channel(courier: Courier) -> grpc.Channel:
    cert = (courier.data_dir / "keys" / "tls.crt").read_bytes()
    return grpc.secure_channel(
        courier.host, grpc.ssl_channel_credentials(root_certificates=cert),
        options=[("grpc.max_receive_message_length", LIMIT),
                 ("grpc.max_send_message_length", 2 * LIMIT)])


def _outbound(world: World, gateway: int) -> list[bytes]:
    entry = world["gateways"][gateway]
    return [(Path(str(world["dir"])) / name).read_bytes() for name in entry["outbound"][:4]]


def test_jvm_like_client_delivers_and_half_closes(courier: Courier,
                                                  world: World) -> None:
    cargo = _outbound(world, 0)
    with _channel(courier) as channel:
        stub = cargo_relay(channel)
        requests = (cogrpc_pb2.CargoDelivery(id=f"d{i}", cargo=c) for i, c in enumerate(cargo))
        acks = [ack.id for ack in stub.DeliverCargo(requests, timeout=5)]
    assert sorted(acks) == [f"d{i}" for i in range(len(cargo))]
    assert courier.status()["cargo_to_internet"] == len(cargo)


def test_duplicate_delivery_ids_and_messages_are_stored_once(
    courier: Courier, world: World,
) -> None:
    cargo = _outbound(world, 1)[0]
    with _channel(courier) as channel:
        stub = cargo_relay(channel)
        requests = [cogrpc_pb2.CargoDelivery(id="same", cargo=cargo)] * 3
        acks = [ack.id for ack in stub.DeliverCargo(iter(requests), timeout=5)]
    assert acks == ["same"] * 3
    assert courier.status()["cargo_to_internet"] == 1


def test_oversize_message_is_refused_and_the_server_stays_up(
    courier: Courier, world: World,
) -> None:
    with _channel(courier) as channel:
        stub = cargo_relay(channel)
        huge = cogrpc_pb2.CargoDelivery(id="huge", cargo=b"A" * (LIMIT - 1024))
        with pytest.raises(grpc.RpcError) as caught:
            list(stub.DeliverCargo(iter([huge]), timeout=5))
        assert caught.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    files = [str(Path(str(world["dir"])) / world["gateways"][2]["outbound"][0])]
    assert node("deliver", courier.host, *files)["acked"] == files


@pytest.mark.parametrize("header", [
    "Relaynet-CCA " + "A" * 100_000,  # far over the metadata limit
    "Relaynet-CCA not-base64!!",
    "Bearer " + base64.b64encode(b"x" * 100).decode(),
    "Awala-CCA " + base64.b64encode(b"Awala\x44\x00garbage").decode(),
])
def test_bad_cca_headers_get_no_cargo_and_no_crash(courier: Courier, header: str) -> None:
    with _channel(courier) as channel:
        stub = cargo_relay(channel)
        code = grpc.StatusCode.OK
        got: list[cogrpc_pb2.CargoDelivery] = []
        try:
            got = list(stub.CollectCargo(iter([]), metadata=(("authorization", header),),
                                         timeout=5))
        except grpc.RpcError as error:
            code = error.code()
        # Only the oversize header may fail the call, and then with a clear status.
        expected = ({grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INTERNAL,
                     grpc.StatusCode.UNAVAILABLE} if len(header) > 50_000
                    else {grpc.StatusCode.OK})
        assert code in expected
        assert got == []
    assert courier.process.poll() is None
    assert courier.status()["ccas"] == 0


def test_cancelled_delivery_keeps_what_was_acked(courier: Courier,
                                                 world: World) -> None:
    cargo = _outbound(world, 0) + _outbound(world, 1)
    gate = threading.Event()

    def requests() -> Iterator[cogrpc_pb2.CargoDelivery]:
        for i, item in enumerate(cargo):
            if i == 3:
                gate.wait(10)  # stall the stream after three cargo
            yield cogrpc_pb2.CargoDelivery(id=f"c{i}", cargo=item)

    acked: list[str] = []
    with _channel(courier) as channel:
        call = cargo_relay(channel).DeliverCargo(requests(), timeout=10)
        for ack in call:
            acked.append(ack.id)
            if len(acked) == 2:
                call.cancel()  # type: ignore[no-untyped-call]  # unannotated in grpc-stubs
                break
        gate.set()
    time.sleep(0.5)
    stored = courier.status()["cargo_to_internet"]
    assert len(acked) == 2
    assert 2 <= stored <= 3  # acked ones are stored; the third may have been stored unacked


def test_idle_connections_do_not_starve_others(courier: Courier,
                                               world: World) -> None:
    host, port = courier.host.split(":")
    idle_tcp = [socket.create_connection((host, int(port)), timeout=5) for _ in range(25)]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    idle_tls = [context.wrap_socket(socket.create_connection((host, int(port)), timeout=5))
                for _ in range(25)]
    try:
        files = [str(Path(str(world["dir"])) / n)
                 for n in world["gateways"][1]["outbound"][:3]]
        assert sorted(node("deliver", courier.host, *files)["acked"]) == sorted(files)
    finally:
        for sock in idle_tcp + idle_tls:
            sock.close()
    assert courier.process.poll() is None


def test_eight_gateways_sync_at_once_within_js_deadlines(
    courier: Courier, world: World,
) -> None:
    gateways = world["gateways"]
    folder = Path(str(world["dir"]))

    def sync(n: int) -> tuple[Collected, Delivered]:
        entry = gateways[n % len(gateways)]
        collected = node("collect", courier.host, str(folder / entry["cca"]), entry["id"])
        files = [str(folder / name) for name in entry["outbound"][n:n + 2]]
        return collected, node("deliver", courier.host, *files)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(sync, range(8)))
    for collected, delivered in results:
        assert "error" not in collected, collected
        assert collected["errors"] == []
        assert "error" not in delivered, delivered  # the JS client's 3 s deadline held
        assert len(delivered["acked"]) == 2


def test_gateways_that_open_a_delivery_and_send_nothing_hold_up_no_one(
    courier: Courier, world: World,
) -> None:
    # Each silent call's pending read claims room for the largest cargo; four of them claim
    # more than the whole in-hand budget until their claims lapse (READ_HOLD).
    release = threading.Event()

    def silence() -> Iterator[cogrpc_pb2.CargoDelivery]:
        release.wait(20)
        yield from ()  # a generator that yields nothing until released

    channels = [_channel(courier) for _ in range(4)]
    calls = [cargo_relay(channel).DeliverCargo(silence(), timeout=30)
             for channel in channels]
    try:
        time.sleep(0.3)
        # A JVM-like gateway, with its 5 s deadline, delivers the near-9 MiB cargo and another.
        # (The JS client sets no deadline on DeliverCargo: it passes its options where
        # grpc-js expects metadata, so only CollectCargo has its 3 s.)
        largest = world["gateways"][0]["outbound"][-1]
        cargo = [_outbound(world, 0)[0], (Path(str(world["dir"])) / largest).read_bytes()]
        with _channel(courier) as channel:
            stub = cargo_relay(channel)
            requests = (cogrpc_pb2.CargoDelivery(id=f"v{i}", cargo=c) for i, c in enumerate(cargo))
            acks = sorted(ack.id for ack in stub.DeliverCargo(requests, timeout=5))
        assert acks == ["v0", "v1"]
    finally:
        release.set()
        for call in calls:
            assert list(call) == []  # they half-close having sent nothing: a clean, empty end
        for channel in channels:
            channel.close()
    assert courier.status()["cargo_to_internet"] == 2


def test_a_delivery_that_is_not_protobuf_fails_its_call_alone(
    courier: Courier, world: World,
) -> None:
    files = [str(Path(str(world["dir"])) / n)
             for n in world["gateways"][1]["outbound"][:2]]
    assert sorted(node("deliver", courier.host, *files)["acked"]) == sorted(files)
    with _channel(courier) as channel:
        raw = channel.stream_stream("/relaynet.cogrpc.CargoRelay/DeliverCargo",
                                    request_serializer=lambda data: data,
                                    response_deserializer=lambda data: data)
        for garbage in (b"\xff\xff\xff", b"\x12\x80\x80\x80\x80\x10", b"\x0b\x0c"):
            with pytest.raises(grpc.RpcError) as caught:
                list(raw(iter([garbage]), timeout=5))
            assert caught.value.code() in {grpc.StatusCode.INTERNAL,
                                           grpc.StatusCode.INVALID_ARGUMENT}
    assert courier.process.poll() is None
    assert courier.status()["cargo_to_internet"] == 2  # what was stored before is still there
    assert sorted(node("deliver", courier.host, *files)["acked"]) == sorted(files)


def test_gateways_that_collect_and_never_read_hold_up_no_one(
    courier: Courier, world: World, tmp_path: Path,
) -> None:
    # Gateway A has big cargo waiting; two of its calls stop reading, so their cargo stays in
    # hand, unacknowledged. Their claims must lapse (SEND_HOLD) for anyone else to be served.
    folder = tmp_path / "big-world"
    folder.mkdir()
    big = node("make-world", str(folder), json.dumps(
        {"gateways": 1, "outbound": [], "inbound": [NEAR_LIMIT_PAYLOAD]}))
    gateway_a = big["gateways"][0]
    with courier.offline() as store:
        raw = (folder / gateway_a["inbound"][0]).read_bytes()
        store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
        for name in world["gateways"][1]["inbound"]:
            raw = (Path(str(world["dir"])) / name).read_bytes()
            store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
    header = "Relaynet-CCA " + base64.b64encode((folder / gateway_a["cca"]).read_bytes()).decode()
    channels = [_channel(courier) for _ in range(2)]
    stalled = [cargo_relay(channel).CollectCargo(
        iter([]), metadata=(("authorization", header),), timeout=20) for channel in channels]
    try:
        time.sleep(0.5)
        gateway_b = world["gateways"][1]
        cca_b = str(Path(str(world["dir"])) / gateway_b["cca"])
        answer = node("collect", courier.host, cca_b, gateway_b["id"])  # its 3 s deadline
        assert answer["errors"] == []
        assert len(answer["cargo"]) == len(gateway_b["inbound"])
    finally:
        for call in stalled:
            call.cancel()  # type: ignore[no-untyped-call]  # unannotated in grpc-stubs
        for channel in channels:
            channel.close()
    assert courier.process.poll() is None
    assert courier.status()["cargo_to_private"] == 1  # A's cargo stays for its next call
