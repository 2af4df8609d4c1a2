"""Every syntax or signature problem raises its own error and reason at parse time."""

from datetime import UTC, datetime, timedelta

import pytest

from courier.protocol import (
    MAX_MESSAGE_SIZE,
    InvalidSignatureError,
    MalformedMessageError,
    MessageTooLargeError,
    MessageType,
    Recipient,
    WrongMessageTypeError,
    parse_message,
)
from courier.protocol.errors import InvalidMessageError
from courier.protocol.ramf import MAX_PAYLOAD_SIZE, MAX_TTL
from courier.protocol.signatures import hash_for
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import sign_content, tlv
from tests.protocol.conftest import NOW, MessageFactory, Pki


def reason(error: pytest.ExceptionInfo[Exception]) -> str:
    value = error.value
    assert isinstance(value, MalformedMessageError | InvalidMessageError)
    return value.reason


def test_bad_signature(make_message: MessageFactory) -> None:
    data = bytearray(make_message())
    data[-1] ^= 0x01  # the signature is the last field of the one SignerInfo
    with pytest.raises(InvalidSignatureError) as caught:
        parse_message(bytes(data))
    assert reason(caught) == "bad_signature"


@pytest.mark.parametrize("encoding", ["der", "js", "jvm"])
def test_tampered_field_breaks_the_digest(make_message: MessageFactory, encoding: str) -> None:
    data = make_message(encoding=encoding)
    for old, new in ((b"encrypted parcels", b"encrypted parcelz"),
                     (b"gateway.example", b"gateway.exampla"),
                     (b"a1b2c3d4", b"a1b2c3d5")):
        with pytest.raises(InvalidSignatureError):
            parse_message(data.replace(old, new))


def test_signed_by_another_key(make_message: MessageFactory, pki: Pki) -> None:
    with pytest.raises(InvalidSignatureError):
        parse_message(make_message(sender_key=pki.stranger_key))


def test_weak_key_is_refused(make_message: MessageFactory) -> None:
    key = generate_rsa_key(1024)
    certificate = issue_certificate(key, not_before=NOW - timedelta(1),
                                    not_after=NOW + timedelta(1))
    with pytest.raises(InvalidSignatureError) as caught:
        parse_message(make_message(sender_key=key, sender_certificate=certificate))
    assert reason(caught) == "weak_key"


def test_unsupported_digest_is_refused(make_message: MessageFactory) -> None:
    sha256 = bytes.fromhex("0609608648016503040201")
    sha224 = bytes.fromhex("0609608648016503040204")  # same length, not allowed by RS-018
    data = make_message()
    with pytest.raises(InvalidSignatureError) as caught:
        parse_message(data.replace(sha256 + b"\x05\x00", sha224 + b"\x05\x00"))
    assert reason(caught) == "unsupported_algorithm"


@pytest.mark.parametrize("name", ["sha1", "md5", "sha224"])
def test_weak_hashes_are_refused(name: str) -> None:
    with pytest.raises(InvalidSignatureError):
        hash_for(name)


def test_wrong_and_unknown_type(make_message: MessageFactory) -> None:
    cargo = make_message()
    with pytest.raises(WrongMessageTypeError) as caught:
        parse_message(cargo, expected_type=MessageType.CCA)
    assert reason(caught) == "wrong_type"
    assert parse_message(cargo, MessageType.CARGO).message_type is MessageType.CARGO
    for octet in (0x50, 0x51, 0x00, 0xFF):
        with pytest.raises(WrongMessageTypeError) as caught:
            parse_message(cargo[:5] + bytes((octet,)) + cargo[6:])
        assert reason(caught) == "unknown_type"


def test_type_octet_is_not_signed_but_checked(make_message: MessageFactory) -> None:
    # RS-001: the format signature sits outside the CMS value; swapping it changes the kind.
    cca = make_message(message_type=MessageType.CCA)
    as_cargo = cca[:5] + b"\x43" + cca[6:]
    assert parse_message(as_cargo).message_type is MessageType.CARGO
    with pytest.raises(WrongMessageTypeError):
        parse_message(as_cargo, MessageType.CCA)


def test_obsolete_relaynet_prefix(make_message: MessageFactory) -> None:
    data = make_message()
    with pytest.raises(MalformedMessageError, match="Relaynet") as caught:
        parse_message(b"Relaynet" + data[5:])
    assert reason(caught) == "obsolete_format"


def test_bad_format_signature_and_version(make_message: MessageFactory) -> None:
    data = make_message()
    with pytest.raises(MalformedMessageError) as caught:
        parse_message(b"Awalo" + data[5:])
    assert reason(caught) == "bad_format_signature"
    with pytest.raises(MalformedMessageError) as caught:
        parse_message(data[:6] + b"\x01" + data[7:])
    assert reason(caught) == "unsupported_version"


def test_oversize_message() -> None:
    with pytest.raises(MessageTooLargeError) as caught:
        parse_message(b"Awala\x43\x00" + bytes(MAX_MESSAGE_SIZE))
    assert reason(caught) == "too_large"


def test_oversize_payload(make_message: MessageFactory) -> None:
    data = make_message(payload=bytes(MAX_PAYLOAD_SIZE + 1))
    assert len(data) <= MAX_MESSAGE_SIZE
    with pytest.raises(MessageTooLargeError) as caught:
        parse_message(data)
    assert reason(caught) == "payload_too_large"


def test_id_lengths(make_message: MessageFactory, pki: Pki) -> None:
    assert parse_message(make_message(message_id="i" * 64)).id == "i" * 64
    with pytest.raises(MalformedMessageError) as caught:
        parse_message(make_message(message_id="i" * 65))
    assert reason(caught) == "field_too_long"
    long_id = "0" + "a" * 1024
    with pytest.raises(MalformedMessageError):
        parse_message(make_message(recipient=Recipient(long_id)))
    with pytest.raises(MalformedMessageError):
        parse_message(make_message(recipient=Recipient(pki.gateway_cert.node_id,
                                                       "a" * 1021 + ".com")))


@pytest.mark.parametrize("ttl", [-1, MAX_TTL + 1, 2**40])
def test_ttl_out_of_range(make_message: MessageFactory, ttl: int) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        parse_message(make_message(ttl=ttl))
    assert reason(caught) == "bad_ttl"


def test_longest_ttl_is_accepted(make_message: MessageFactory) -> None:
    assert parse_message(make_message(ttl=MAX_TTL)).ttl == MAX_TTL


def signed_field_set(pki: Pki, fields: bytes) -> bytes:
    return b"Awala\x43\x00" + sign_content(fields, sender_key=pki.private_key,
                                           sender_certificate=pki.private_cert,
                                           signing_time=datetime(2030, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(("fields", "expected"), [
    (tlv(0x30, tlv(0xA0, tlv(0x80, b"0ab")), tlv(0x81, b"id"), tlv(0x82, b"20301301000000"),
         tlv(0x83, b"\x01"), tlv(0x84, b"")), "bad_date"),
    (tlv(0x30, tlv(0xA0, tlv(0x80, b"0ab")), tlv(0x81, b"id"), tlv(0x82, b"99991231235959"),
         tlv(0x83, b"\x01"), tlv(0x84, b"")), "bad_date"),
    (tlv(0x30, tlv(0xA0, tlv(0x80, b"0ab")), tlv(0x81, b"id"), tlv(0x82, b"2030-01-01T00:0"),
         tlv(0x83, b"\x01"), tlv(0x84, b"")), "bad_date"),
    (tlv(0x30, tlv(0xA0, tlv(0x80, b"0ab")), tlv(0x81, b"i\nd"), tlv(0x82, b"20300101000000"),
         tlv(0x83, b"\x01"), tlv(0x84, b"")), "bad_field_set"),
    (tlv(0x30, tlv(0xA0, tlv(0x80, b"0ab")), tlv(0x81, b"id"), tlv(0x82, b"20300101000000"),
         tlv(0x83, b""), tlv(0x84, b"")), "bad_ttl"),
    (tlv(0x30, tlv(0xA0, tlv(0x80, b"0ab")), tlv(0x81, b"id"), tlv(0x82, b"20300101000000"),
         tlv(0x83, b"\x01")), "bad_structure"),
    (tlv(0x30, tlv(0xA0, tlv(0x81, b"0ab")), tlv(0x81, b"id"), tlv(0x82, b"20300101000000"),
         tlv(0x83, b"\x01"), tlv(0x84, b"")), "bad_field_set"),
    (tlv(0x31, b""), "bad_field_set"),
    (b"", "truncated"),
])
def test_malformed_field_sets(pki: Pki, fields: bytes, expected: str) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        parse_message(signed_field_set(pki, fields))
    assert reason(caught) == expected


def test_ber_field_set_is_accepted(pki: Pki) -> None:
    fields = (b"\x30\x80" + tlv(0xA0, tlv(0x80, b"0ab")) + tlv(0x81, b"id")
              + tlv(0x82, b"20300101000000") + tlv(0x83, b"\x01") + tlv(0x84, b"x") + b"\x00\x00")
    message = parse_message(signed_field_set(pki, fields))
    assert (message.recipient.id, message.id) == ("0ab", "id")
    assert (message.ttl, message.payload) == (1, b"x")


@pytest.mark.parametrize("encoding", ["der", "js", "jvm"])
def test_every_truncation_is_malformed(make_message: MessageFactory, encoding: str) -> None:
    data = make_message(payload=b"x" * 10, encoding=encoding)
    for length in range(len(data)):
        with pytest.raises(MalformedMessageError):
            parse_message(data[:length])
