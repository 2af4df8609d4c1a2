"""A batch of deliveries: each gets its own outcome, and the clock learns from the valid ones."""

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.relay import CargoRelay
from courier.cogrpc.wire import Delivery, Received, parse_delivery, serialize_delivery
from courier.protocol import MAX_MESSAGE_SIZE, MessageType, Recipient
from courier.store import MemoryStore
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message

NOW = datetime.now(UTC)
CREATED = (NOW - timedelta(minutes=5)).replace(microsecond=0)
INTERNET = Recipient("0" + "ab" * 32, "gateway.example")


def _received(name: str, message: bytes) -> Received:
    return parse_delivery(serialize_delivery(Delivery(name, message)))


class Sender:
    """A private gateway making cargo, Internet-bound unless told otherwise."""

    def __init__(self) -> None:
        self.key = generate_rsa_key()
        self.certificate = issue_certificate(self.key, is_ca=True)

    def cargo(self, payload: bytes, recipient: Recipient = INTERNET) -> bytes:
        """Return a cargo made now-ish."""
        return serialize_message(MessageType.CARGO, recipient, payload, sender_key=self.key,
                                 sender_certificate=self.certificate, ttl=86400,
                                 creation_date=CREATED)


@pytest.fixture(scope="module")
def sender() -> Sender:
    """One sender for the module (an RSA key takes a while to make)."""
    return Sender()


def test_each_delivery_of_a_batch_comes_to_its_own_outcome(sender: Sender) -> None:
    good = sender.cargo(b"a" * 1000)
    batch = [
        _received("good", good),
        _received("again", good),  # the same message id: a duplicate, acked
        _received("garbage", b"Awala\x43\x00" + os.urandom(500)),
        _received("private", sender.cargo(b"b", Recipient("0" + "cd" * 32))),  # private-bound
        _received("huge", b"Awala\x43\x00" + bytes(MAX_MESSAGE_SIZE)),
        _received("second", sender.cargo(b"c" * 1000)),
    ]
    seen: list[tuple[str, datetime]] = []
    store = MemoryStore()
    counters = ServerCounters()
    relay = CargoRelay(store, lambda: NOW, counters,
                       on_message=lambda sender, created: seen.append((sender, created)))

    async def run() -> tuple[list[bool], bool]:
        full = asyncio.Event()
        return await relay._accept(batch, full), full.is_set()

    acked, full = asyncio.run(run())
    assert acked == [True] * 6  # stored, duplicate, or dropped as bad: all acknowledged
    assert not full
    assert store.stats().cargo_to_internet == 2
    assert seen == [(sender.certificate.node_id, CREATED)] * 3  # good, again, second
    snapshot = counters.snapshot()
    assert snapshot.cargo_in == 3
    assert snapshot.rejected["oversize"] == 1
    assert sum(snapshot.rejected.values()) == 3


def test_a_full_store_leaves_what_did_not_fit_unacked(sender: Sender) -> None:
    messages = [sender.cargo(bytes([i]) * 6000) for i in range(3)]
    batch = [_received(f"c{i}", message) for i, message in enumerate(messages)]
    store = MemoryStore(quota_bytes=len(messages[0]) * 5 // 2, cca_reserve_bytes=0,
                        per_sender_fraction=1.0)
    counters = ServerCounters()
    relay = CargoRelay(store, lambda: NOW, counters)

    async def run() -> tuple[list[bool], bool]:
        full = asyncio.Event()
        return await relay._accept(batch, full), full.is_set()

    acked, full = asyncio.run(run())
    assert store.stats().cargo_to_internet == 2
    assert acked == [True, True, False]
    assert full
    assert counters.snapshot().rejected["storage_full"] == 1


class _Stream:
    """The request side of a DeliverCargo call, fed by the test."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[object] = asyncio.Queue()

    async def read(self) -> object:
        return await self.messages.get()


def test_nothing_keeps_a_cargo_once_it_is_acknowledged(sender: Sender) -> None:
    wires = [serialize_delivery(Delivery(f"c{i}", sender.cargo(bytes([i]) * 50_000)))
             for i in range(2)]
    relay = CargoRelay(MemoryStore(), lambda: NOW, ServerCounters())

    async def released(number: int, references: int) -> bool:
        # Only the test's own references may be left once the ack is out.
        for _ in range(200):
            if sys.getrefcount(wires[number]) == references:
                return True
            await asyncio.sleep(0.001)
        return False

    async def run() -> None:
        stream = _Stream()
        acks: asyncio.Queue[tuple[str, bool] | None] = asyncio.Queue()
        reader = asyncio.create_task(relay._read_deliveries(stream, acks))  # type: ignore[arg-type]  # a fake call
        for number, wire in enumerate(wires):
            references = sys.getrefcount(wires[number])
            stream.messages.put_nowait(parse_delivery(wire))
            assert await asyncio.wait_for(acks.get(), 10) == (f"c{number}", True)
            # The reader now waits for the next message and the workers for the next batch:
            # neither may hold on to the cargo just acknowledged.
            assert await released(number, references), "an acknowledged cargo is still referenced"
        stream.messages.put_nowait(grpc.aio.EOF)  # type: ignore[attr-defined]  # grpc-stubs lacks it
        assert await asyncio.wait_for(reader, 10) is False
        assert relay.in_hand.used == 0
    asyncio.run(run())
