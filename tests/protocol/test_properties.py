"""Property tests: hostile bytes only ever raise ProtocolError; round trips keep every field."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courier.errors import ProtocolError
from courier.protocol import (
    MalformedMessageError,
    MessageType,
    Recipient,
    parse_message,
    validate_message,
)
from courier.protocol.ber import MAX_DEPTH, ber_to_der, encode_length
from courier.protocol.ramf import MAX_TTL
from courier.testing.serialise import encode_field_set, sign_content
from tests.protocol.conftest import NOW, MessageFactory, Pki

FUZZ = settings(max_examples=1000, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
ENCODINGS = st.sampled_from(["der", "js", "jvm"])
SAMPLES = st.sampled_from(["der", "js", "jvm", "everywhere"])


def parse_or_protocol_error(data: bytes) -> None:
    try:
        message = parse_message(data)
    except ProtocolError:
        return
    try:
        validate_message(message, NOW)
    except ProtocolError:
        return


@FUZZ
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data: bytes) -> None:
    parse_or_protocol_error(data)
    parse_or_protocol_error(b"Awala\x43\x00" + data)


@FUZZ
@given(st.binary(max_size=512))
def test_ber_normaliser_on_arbitrary_bytes(data: bytes) -> None:
    try:
        der = ber_to_der(data)
    except ProtocolError:
        return
    assert ber_to_der(der) == der  # normalising is idempotent


@pytest.fixture(scope="module")
def samples(make_message: MessageFactory, pki: Pki) -> dict[str, bytes]:
    found = {encoding: make_message(payload=b"z" * 2500, encoding=encoding)
             for encoding in ("der", "js", "jvm")}
    fields = encode_field_set(Recipient(pki.gateway_cert.node_id), "id", NOW, 60, b"z" * 2500)
    found["everywhere"] = b"Awala\x43\x00" + sign_content(
        fields, sender_key=pki.private_key, sender_certificate=pki.private_cert,
        ca_certificates=(pki.gateway_cert,), encoding="jvm", indefinite_everywhere=True,
        signing_time=NOW)
    return found


@FUZZ
@given(encoding=SAMPLES, data=st.data())
def test_bit_flips(samples: dict[str, bytes], encoding: str, data: st.DataObject) -> None:
    message = bytearray(samples[encoding])
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(message) - 1))
        message[index] ^= 1 << data.draw(st.integers(0, 7))
    parse_or_protocol_error(bytes(message))


@FUZZ
@given(encoding=SAMPLES, data=st.data())
def test_insertions_deletions_truncations(samples: dict[str, bytes], encoding: str,
                                          data: st.DataObject) -> None:
    message = samples[encoding]
    start = data.draw(st.integers(0, len(message)))
    stop = data.draw(st.integers(start, min(len(message), start + 64)))
    insert = data.draw(st.binary(max_size=16))
    parse_or_protocol_error(message[:start] + insert + message[stop:])
    parse_or_protocol_error(message[:start])


@FUZZ
@given(encoding=SAMPLES, data=st.data())
def test_length_octet_tampering(samples: dict[str, bytes], encoding: str,
                                data: st.DataObject) -> None:
    # Aim at length octets: replace an octet after a likely tag with a hostile length form.
    message = bytearray(samples[encoding])
    index = data.draw(st.integers(7, len(message) - 2))
    hostile = data.draw(st.sampled_from([b"\x80", b"\x84\xff\xff\xff\xff", b"\x81\x00",
                                         b"\xff", b"\x00"]))
    parse_or_protocol_error(bytes(message[:index]) + hostile + bytes(message[index + 1:]))


@settings(FUZZ, max_examples=60)
@given(
    encoding=ENCODINGS,
    message_type=st.sampled_from(list(MessageType)),
    payload=st.binary(max_size=3000),
    message_id=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=64),
    address=st.none() | st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]\.[a-z]{2,6}", fullmatch=True),
    ttl=st.integers(0, MAX_TTL),
    age=st.integers(0, 10 * 86_400),
)
def test_round_trips_keep_fields(make_message: MessageFactory, encoding: str,
                                 message_type: MessageType, payload: bytes, message_id: str,
                                 address: str | None, ttl: int, age: int) -> None:
    created = datetime(2030, 6, 1, tzinfo=UTC) - timedelta(seconds=age)
    recipient = Recipient("0" + "ab" * 32, address)
    data = make_message(message_type=message_type, recipient=recipient, payload=payload,
                        message_id=message_id or "x", ttl=ttl, creation_date=created,
                        encoding=encoding)
    message = parse_message(data, message_type)
    assert (message.recipient, message.id, message.creation_date, message.ttl,
            message.payload) == (recipient, message_id or "x", created, ttl, payload)


@settings(FUZZ, max_examples=30)
@given(depth=st.integers(MAX_DEPTH + 1, 100_000), tag=st.sampled_from([0x30, 0x31, 0xA0, 0x24]))
def test_deep_indefinite_nesting_is_malformed(depth: int, tag: int) -> None:
    body = bytes((tag, 0x80)) * depth + b"\x00\x00" * depth
    with pytest.raises(MalformedMessageError):
        parse_message(b"Awala\x43\x00" + body)
    with pytest.raises(MalformedMessageError):
        ber_to_der(body)


@settings(FUZZ, max_examples=30)
@given(depth=st.integers(MAX_DEPTH + 1, 1500), tag=st.sampled_from([0x30, 0x31, 0xA0]))
def test_deep_definite_nesting_is_malformed(depth: int, tag: int) -> None:
    body = b"\x05\x00"
    for _ in range(depth):
        body = bytes((tag,)) + encode_length(len(body)) + body
    with pytest.raises(MalformedMessageError):
        parse_message(b"Awala\x43\x00" + body)


@FUZZ
@given(length=st.integers(0x80, 2**32 - 1), octets=st.integers(1, 4), prefix=st.binary(max_size=8))
def test_huge_lengths_are_malformed(length: int, octets: int, prefix: bytes) -> None:
    size = min(octets, (length.bit_length() + 7) // 8) or 1
    header = b"\x30" + bytes((0x80 | size,)) + (length % 256**size).to_bytes(size, "big")
    with pytest.raises(MalformedMessageError):
        parse_message(b"Awala\x43\x00" + header + prefix)
