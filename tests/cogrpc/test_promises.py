"""Promises where components meet: what is acked, which CCA opens the store, what is expired."""

import asyncio
import base64
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from courier.cogrpc.collect import CollectSettings
from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.relay import CargoRelay
from courier.errors import StoreError
from courier.protocol import MessageType, parse_message
from courier.store import Direction, MemoryStore, ObjectMeta, PutResult
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message
from tests.cogrpc.test_batch import NOW as BATCH_NOW
from tests.cogrpc.test_batch import Sender, _received
from tests.cogrpc.test_collect import (
    ACK,
    COLLECT,
    DELIVERY,
    NOW,
    Phone,
    _channel,
    _serve,
    _stock,
    phone,  # noqa: F401 - a fixture, used by name
)


class FailingDisk(MemoryStore):
    """A store whose writes fail with an I/O error (not "full")."""

    def put_many(self, items: Sequence[tuple[ObjectMeta, bytes | memoryview]],
                 ) -> list[PutResult | StoreError]:
        return [StoreError("could not store the object: [Errno 5] EIO") for _ in items]


def test_a_cargo_whose_write_failed_is_not_acked() -> None:
    sender = Sender()
    counters = ServerCounters()
    relay = CargoRelay(FailingDisk(), lambda: BATCH_NOW, counters)

    async def run() -> list[bool]:
        return await relay._accept([_received("c", sender.cargo(b"x" * 100))], asyncio.Event())

    assert asyncio.run(run()) == [False]  # the gateway keeps it and offers it again
    assert counters.snapshot().rejected == {"not_stored": 1}


def _collect(tmp_path: Path, store: MemoryStore, cca: bytes) -> tuple[list[bytes], CargoRelay]:
    async def run() -> tuple[list[bytes], CargoRelay]:
        server, relay, port, cert = await _serve(tmp_path, store, CollectSettings())
        header = "Relaynet-CCA " + base64.b64encode(cca).decode()
        try:
            async with _channel(port, cert) as channel:
                call = channel.stream_stream(COLLECT, request_serializer=bytes,
                                             response_deserializer=DELIVERY)(
                    None, metadata=[("authorization", header)], timeout=5)
                got = []
                async for delivery in call:
                    got.append(delivery.cargo)
                    await call.write(ACK(id=delivery.id).SerializeToString())
                return got, relay
        finally:
            await server.stop(0)
    return asyncio.run(run())


def _tampered(cca: bytes) -> bytes:
    """Return the CCA with one byte of its signature flipped (still well formed)."""
    signature_at = len(cca) - 10  # the SignerInfo's signature ends the DER
    return cca[:signature_at] + bytes([cca[signature_at] ^ 1]) + cca[signature_at + 1:]


@pytest.mark.timeout(60)
def test_a_cca_that_fails_validation_opens_nothing(tmp_path: Path, phone: Phone) -> None:  # noqa: F811
    store = MemoryStore()
    _stock(store, [phone.cargo(100, timedelta(days=2))])
    impostor_key = generate_rsa_key()  # signs for the phone's id? It cannot: other key, other id
    self_signed = issue_certificate(impostor_key, is_ca=True)
    not_issued = serialize_message(MessageType.CCA, phone.internet, b"request",
                                   sender_key=impostor_key, sender_certificate=self_signed,
                                   creation_date=NOW - timedelta(minutes=90), ttl=86400)
    for cca, reason in ((_tampered(phone.cca()), "cca_bad_signature"),
                        (not_issued, "cca_sender_not_issued_by_recipient")):
        got, relay = _collect(tmp_path, store, cca)
        assert got == [], reason
        assert relay.counters.snapshot().rejected == {reason: 1}
    assert len(store.select_for_recipient(phone.certificate.node_id, NOW)) == 1
    got, _ = _collect(tmp_path, store, phone.cca())  # the genuine CCA still collects it
    assert len(got) == 1


@pytest.mark.timeout(60)
def test_cargo_expired_long_ago_is_never_handed_out(tmp_path: Path, phone: Phone) -> None:  # noqa: F811
    store = MemoryStore()
    raw = phone.cargo(100, timedelta(days=2))
    meta = ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE)
    for years in (1, 5, 9):  # as a store that kept what expired while the device was off
        store.put(ObjectMeta(meta.kind, meta.direction, meta.recipient_id, None,
                             meta.sender_id, f"old-{years}", NOW - timedelta(days=365 * years),
                             meta.size), raw)
    got, _ = _collect(tmp_path, store, phone.cca())
    assert got == []
