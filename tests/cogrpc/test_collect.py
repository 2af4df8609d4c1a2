"""CollectCargo in process, over real grpcio TLS on loopback: margins, deadlines, memory claims."""

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from courier.cogrpc.collect import CollectSettings
from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.generated import cogrpc_pb2
from courier.cogrpc.relay import CargoRelay
from courier.cogrpc.serving import make_server
from courier.cogrpc.tls import tls_identity
from courier.protocol import MessageType, Recipient, parse_message
from courier.store import Direction, MemoryStore, ObjectMeta
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message

NOW = datetime.now(UTC).replace(microsecond=0)
MIB = 1024 * 1024
COLLECT = "/relaynet.cogrpc.CargoRelay/CollectCargo"
DELIVERY, ACK = cogrpc_pb2.CargoDelivery.FromString, cogrpc_pb2.CargoDeliveryAck


class Phone:
    """A private gateway's CCA, and cargo an Internet gateway made for it."""

    def __init__(self) -> None:
        internet_key, self.key = generate_rsa_key(), generate_rsa_key()
        internet = issue_certificate(internet_key, is_ca=True)
        self.certificate = issue_certificate(self.key, internet_key, internet, is_ca=True)
        self.internet = Recipient(internet.node_id, "gateway.example")
        self.internet_key, self.internet_certificate = internet_key, internet

    def cca(self) -> bytes:
        return serialize_message(MessageType.CCA, self.internet, b"request",
                                 sender_key=self.key, sender_certificate=self.certificate,
                                 creation_date=NOW - timedelta(minutes=90), ttl=14 * 86400)

    def cargo(self, size: int, expires_in: timedelta) -> bytes:
        created = NOW - timedelta(minutes=5)
        return serialize_message(
            MessageType.CARGO, Recipient(self.certificate.node_id), b"x" * size,
            sender_key=self.internet_key, sender_certificate=self.internet_certificate,
            creation_date=created, ttl=int((NOW + expires_in - created).total_seconds()))


@pytest.fixture(scope="module")
def phone() -> Phone:
    """One phone for the module (RSA keys take a while to make)."""
    return Phone()


async def _serve(tmp_path: Path, store: MemoryStore,
                 settings: CollectSettings) -> tuple[grpc.aio.Server, CargoRelay, int, bytes]:
    key, cert = tls_identity(tmp_path, "127.0.0.1")
    relay = CargoRelay(store, lambda: NOW, ServerCounters(), collect=settings)
    server, ports = make_server(relay, ["127.0.0.1:0"], key, cert)
    await server.start()
    return server, relay, ports[0], cert


def _stock(store: MemoryStore, cargo: list[bytes]) -> None:
    for raw in cargo:
        store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)


def _channel(port: int, cert: bytes) -> grpc.aio.Channel:
    return grpc.aio.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(cert),
                                   options=[("grpc.max_receive_message_length", 10 * MIB)])


async def _collect(channel: grpc.aio.Channel, header: str, timeout: float) -> list[bytes]:
    """Collect as a well-behaved phone: read every cargo and ack it."""
    call = channel.stream_stream(COLLECT, request_serializer=bytes,
                                 response_deserializer=DELIVERY)(
        None, metadata=[("authorization", header)], timeout=timeout)
    got = []
    async for delivery in call:
        got.append(delivery.cargo)
        await call.write(ACK(id=delivery.id).SerializeToString())
    return got


@pytest.mark.timeout(60)
def test_cargo_expiring_within_the_margin_is_kept(tmp_path: Path, phone: Phone) -> None:
    store = MemoryStore()
    _stock(store, [phone.cargo(100, timedelta(hours=1)), phone.cargo(200, timedelta(hours=3))])

    async def run() -> list[bytes]:
        server, _, port, cert = await _serve(tmp_path, store, CollectSettings())
        header = "Relaynet-CCA " + base64.b64encode(phone.cca()).decode()
        try:
            async with _channel(port, cert) as channel:
                return await _collect(channel, header, 5)
        finally:
            await server.stop(0)

    got = asyncio.run(run())
    assert [parse_message(c).expiry_date - NOW for c in got] == [timedelta(hours=3)]
    assert len(store.select_for_recipient(phone.certificate.node_id, NOW)) == 1  # kept


@pytest.mark.timeout(60)
def test_a_client_that_never_reads_holds_one_cargo_counted_until_the_deadline(
    tmp_path: Path, phone: Phone,
) -> None:
    store = MemoryStore()
    _stock(store, [phone.cargo(2 * MIB, timedelta(days=3)) for _ in range(5)])
    size = store.select_for_recipient(phone.certificate.node_id, NOW)[0].meta.size

    async def run() -> tuple[list[int], int, int]:
        server, relay, port, cert = await _serve(tmp_path, store,
                                                 CollectSettings(default_deadline=3.0))
        header = "Relaynet-CCA " + base64.b64encode(phone.cca()).decode()
        in_hand = relay._collector.budget  # the byte budget is what this test is about
        try:
            async with _channel(port, cert) as channel, _channel(port, cert) as later:
                # No deadline, never reads, never acks: a zero-window client.
                # (None: grpc's defaults, which grpc-stubs wants spelled out.)
                call = channel.stream_stream(COLLECT, None, None)(
                    None, metadata=[("authorization", header)])
                held = []
                for _ in range(10):
                    await asyncio.sleep(0.5)
                    held.append(in_hand.used)
                sent = relay.counters.snapshot().cargo_out
                # The stalled call was cut at its deadline, so the cargo it had in flight is
                # free again: the phone's next call (still connected) gets all five.
                got = len(await _collect(later, header, 10))
                call.cancel()
                return held, sent, got
        finally:
            await server.stop(0)

    held, sent, got = asyncio.run(run())
    assert got == 5
    assert sent == 1  # one cargo in flight: nothing measured this client's rate
    # The claim (the encoded cargo) stays past the old 1 s hold, until the server-side deadline
    # (3 s) ends the call.
    assert all(size < claimed <= size + 64 for claimed in held[:5]), held
    assert held[-3:] == [0, 0, 0]


@pytest.mark.timeout(90)
def test_calls_that_never_read_hold_up_no_other_phone(tmp_path: Path, phone: Phone) -> None:
    other = Phone()
    store = MemoryStore()
    _stock(store, [phone.cargo(8 * MIB - 8192, timedelta(days=3)) for _ in range(5)])
    _stock(store, [other.cargo(2000, timedelta(days=3)) for _ in range(3)])

    async def run() -> list[bytes]:
        server, _, port, cert = await _serve(tmp_path, store,
                                             CollectSettings(default_deadline=8.0))
        stalled_header = "Relaynet-CCA " + base64.b64encode(phone.cca()).decode()
        header = "Relaynet-CCA " + base64.b64encode(other.cca()).decode()
        try:
            async with _channel(port, cert) as stalled, _channel(port, cert) as channel:
                # Three calls of the first phone that never read nor ack, without a deadline.
                stall = stalled.stream_stream(COLLECT, None, None)
                calls = [stall(None, metadata=[("authorization", stalled_header)])
                         for _ in range(3)]
                await asyncio.sleep(1.0)
                collect = channel.stream_stream(COLLECT, request_serializer=bytes,
                                                response_deserializer=DELIVERY)
                call = collect(None, metadata=[("authorization", header)], timeout=3)  # the JS 3 s
                got = []
                async for delivery in call:
                    got.append(delivery.cargo)
                    await call.write(ACK(id=delivery.id).SerializeToString())
                for each in calls:
                    each.cancel()
                return got
        finally:
            await server.stop(0)

    assert len(asyncio.run(run())) == 3


@pytest.mark.timeout(60)
def test_a_send_stuck_in_flow_control_is_cut_at_the_deadline(tmp_path: Path, phone: Phone) -> None:
    # An 8 MiB cargo does not fit the window of a client that never reads: the server's write
    # waits on flow control, where no check of the time runs. Only the cut-off ends that call.
    store = MemoryStore()
    _stock(store, [phone.cargo(8 * MIB - 8192, timedelta(days=3)) for _ in range(2)])

    async def run() -> int:
        server, _, port, cert = await _serve(tmp_path, store, CollectSettings(default_deadline=3.0))
        header = "Relaynet-CCA " + base64.b64encode(phone.cca()).decode()
        try:
            async with _channel(port, cert) as channel, _channel(port, cert) as later:
                stuck = channel.stream_stream(COLLECT, None, None)(
                    None, metadata=[("authorization", header)])
                await asyncio.sleep(4.0)  # past the 3 s the server gives a call without deadline
                got = len(await _collect(later, header, 10))
                stuck.cancel()
                return got
        finally:
            await server.stop(0)

    assert asyncio.run(run()) == 2  # the stuck call no longer holds the first cargo
