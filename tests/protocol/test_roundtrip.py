"""Round trips in the three encodings (DER, JS BER, JVM BER), key sizes and digests."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from courier.errors import ProtocolError
from courier.protocol import (
    MAX_MESSAGE_SIZE,
    InvalidSignatureError,
    MessageType,
    Recipient,
    parse_message,
    validate_message,
)
from courier.protocol.cms import verify_signed_data
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import JS_CHUNK, JVM_CHUNK, encode_field_set, sign_content
from tests.protocol.conftest import GATEWAY_ADDRESS, NOW, MessageFactory, Pki

ENCODINGS = ("der", "js", "jvm")


@pytest.fixture(scope="module")
def big_keys() -> dict[int, rsa.RSAPrivateKey]:
    return {bits: generate_rsa_key(bits) for bits in (3072, 4096)}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("message_type", list(MessageType), ids=lambda t: t.name)
def test_round_trip_preserves_every_field(make_message: MessageFactory, pki: Pki,
                                          encoding: str, message_type: MessageType) -> None:
    payload = bytes(range(256)) * 300  # > 64 KiB: several JS chunks, many JVM chunks
    data = make_message(message_type=message_type, payload=payload, encoding=encoding,
                        ca_certificates=(pki.gateway_cert,), ttl=7200)
    message = parse_message(data, expected_type=message_type)
    assert message.message_type is message_type
    assert message.recipient == Recipient(pki.gateway_cert.node_id, GATEWAY_ADDRESS)
    assert message.id == "a1b2c3d4-e5f6-4789-abcd-0123456789ab"
    assert message.creation_date == NOW - timedelta(minutes=90)
    assert message.ttl == 7200
    assert message.expiry_date == message.creation_date + timedelta(hours=2)
    assert message.payload == payload
    assert message.payload_size == len(payload)
    assert message.sender_certificate == pki.private_cert
    assert message.sender_id == pki.private_cert.node_id
    assert message.ca_certificates == (pki.gateway_cert,)
    assert message.serialized == data
    assert message.is_internet_bound
    validate_message(message, NOW, bound="internet")


def test_encodings_really_differ(make_message: MessageFactory) -> None:
    payload = b"p" * (JS_CHUNK + 10)
    der, js, jvm = (make_message(payload=payload, encoding=e) for e in ENCODINGS)
    assert len({der, js, jvm}) == 3
    assert b"\x24\x83" in js[:200]          # constructed eContent, definite length
    assert jvm[7:9] == b"\x30\x80"          # indefinite ContentInfo
    assert jvm.count(b"\x04\x82\x03\xe8") >= len(payload) // JVM_CHUNK  # 1000-octet chunks


def test_private_bound_round_trip(make_message: MessageFactory, pki: Pki) -> None:
    data = make_message(recipient=Recipient(pki.private_cert.node_id), sender_key=pki.gateway_key,
                        sender_certificate=pki.gateway_cert, encoding="jvm")
    message = parse_message(data, MessageType.CARGO)
    assert message.recipient.internet_address is None
    assert not message.is_internet_bound


@pytest.mark.parametrize("bits", [3072, 4096])
def test_larger_keys(make_message: MessageFactory, big_keys: dict[int, rsa.RSAPrivateKey],
                     bits: int) -> None:
    key = big_keys[bits]
    certificate = issue_certificate(key, not_before=NOW - timedelta(days=1),
                                    not_after=NOW + timedelta(days=1))
    assert certificate.public_key.key_size == bits
    for encoding in ENCODINGS:
        message = parse_message(make_message(sender_key=key, sender_certificate=certificate,
                                             encoding=encoding))
        assert message.sender_id == certificate.node_id


@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_digests(make_message: MessageFactory, hash_name: str, encoding: str) -> None:
    message = parse_message(make_message(hash_name=hash_name, encoding=encoding))
    assert message.payload == b"encrypted parcels"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_largest_message_parses(make_message: MessageFactory, encoding: str) -> None:
    payload = b"\x00" * (8 * 1024 * 1024)
    data = make_message(payload=payload, encoding=encoding)
    assert len(data) <= MAX_MESSAGE_SIZE
    assert parse_message(data).payload_size == len(payload)


def test_empty_payload_and_zero_ttl(make_message: MessageFactory) -> None:
    for encoding in ENCODINGS:
        message = parse_message(make_message(payload=b"", ttl=0, encoding=encoding))
        assert (message.payload, message.ttl) == (b"", 0)
        assert message.expiry_date == message.creation_date


def test_verify_signed_data_returns_content(make_message: MessageFactory, pki: Pki) -> None:
    data = make_message(ca_certificates=(pki.gateway_cert,))
    signed = verify_signed_data(data[7:])
    assert signed.signer == pki.private_cert
    assert signed.ca_certificates == (pki.gateway_cert,)
    assert signed.content.startswith(b"\x30")


def test_non_minimal_lengths_are_normalised(make_message: MessageFactory) -> None:
    data = make_message()
    assert data[7:9] == b"\x30\x82"
    padded = data[:7] + b"\x30\x83\x00" + data[9:]  # BER allows a leading zero length octet
    message = parse_message(padded)
    assert message.payload == b"encrypted parcels"
    assert message.serialized == padded  # relayed as received, never re-encoded


def test_jvm_path_refuses_what_the_der_path_refuses(make_message: MessageFactory) -> None:
    data = bytearray(make_message(encoding="jvm"))
    data[-20] ^= 0x01  # inside the signature, before the ten closing end-of-contents octets
    with pytest.raises(InvalidSignatureError):
        parse_message(bytes(data))


def test_indefinite_lengths_everywhere(pki: Pki) -> None:
    fields = encode_field_set(Recipient(pki.gateway_cert.node_id, GATEWAY_ADDRESS), "id-1",
                              NOW, 60, b"q" * 5000)
    signed = sign_content(fields, sender_key=pki.private_key, sender_certificate=pki.private_cert,
                          ca_certificates=(pki.gateway_cert,), encoding="jvm",
                          indefinite_everywhere=True, signing_time=NOW)
    assert signed.count(b"\x30\x80") > 10  # AlgorithmIdentifiers, names, SignerInfo too
    message = parse_message(b"Awala\x44\x00" + signed, MessageType.CCA)
    assert (message.id, message.ttl, message.payload) == ("id-1", 60, b"q" * 5000)
    assert message.ca_certificates == (pki.gateway_cert,)


def test_non_minimal_length_inside_indefinite_containers(make_message: MessageFactory) -> None:
    data = make_message(encoding="jvm")
    end = len(data) - 6  # SignedData, [0] and ContentInfo end-of-contents octets follow
    position = next(p for p in range(len(data) - 4, 0, -1)
                    if data[p:p + 2] == b"\x31\x82"
                    and p + 4 + int.from_bytes(data[p + 2:p + 4], "big") == end)
    padded = data[:position] + b"\x31\x83\x00" + data[position + 2:]
    message = parse_message(padded)
    assert message.payload == b"encrypted parcels"


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_message_is_read_in_place_at_the_end_of_a_bigger_buffer(
        make_message: MessageFactory, encoding: str) -> None:
    data = make_message(payload=b"p" * 70_000, encoding=encoding)
    framing = b"\x0a\x02d1\x12\x93\x92\x04"  # as a CargoDelivery puts before its cargo
    message = parse_message(framing + data, MessageType.CARGO, start=len(framing))
    alone = parse_message(data, MessageType.CARGO)
    assert (message.id, message.payload, message.size) == (alone.id, alone.payload, len(data))
    assert message.serialized == data and bytes(message.serialized_view) == data
    with pytest.raises(ValueError, match="outside"):
        parse_message(data, MessageType.CARGO, start=len(data) + 1)
    with pytest.raises(ProtocolError, match="Awala"):  # the framing is not part of the message
        parse_message(framing + data, MessageType.CARGO, start=0)
