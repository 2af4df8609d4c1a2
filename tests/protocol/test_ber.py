"""BER to DER normalisation, including hostile nesting and length fields."""

import pytest

from courier.protocol import MalformedMessageError, parse_message
from courier.protocol.ber import MAX_DEPTH, ber_to_der, encode_length, read_string

DER_SEQ = bytes.fromhex("3006020101040161")


def test_der_is_returned_as_is() -> None:
    assert ber_to_der(DER_SEQ) is DER_SEQ


def test_indefinite_lengths_become_definite() -> None:
    ber = bytes.fromhex("3080020101040161" "0000")
    assert ber_to_der(ber) == DER_SEQ


def test_nested_indefinite_lengths() -> None:
    ber = bytes.fromhex("3080" "a080" "3080" "020101" "0000" "0000" "0000")
    assert ber_to_der(ber) == bytes.fromhex("3007a0053003020101")


def test_constructed_octet_string_is_merged_definite_and_indefinite() -> None:
    definite = bytes.fromhex("2408" "0402aabb" "0402ccdd")
    indefinite = bytes.fromhex("2480" "0402aabb" "2480" "0401cc" "0000" "0401dd" "0000")
    assert ber_to_der(definite) == bytes.fromhex("0404aabbccdd")
    assert ber_to_der(indefinite) == bytes.fromhex("0404aabbccdd")


def test_non_minimal_length_is_made_minimal() -> None:
    assert ber_to_der(bytes.fromhex("04820002aabb")) == bytes.fromhex("0402aabb")
    assert ber_to_der(bytes.fromhex("30810302" "0101")) == bytes.fromhex("3003020101")


def test_set_order_is_kept() -> None:
    # Signed attributes are verified over the signer's order: never re-sort a SET.
    ber = bytes.fromhex("3180" "020102" "020101" "0000")
    assert ber_to_der(ber) == bytes.fromhex("3106020102020101")


def test_long_content_gets_long_form_length() -> None:
    chunks = b"".join(b"\x04" + encode_length(1000) + b"a" * 1000 for _ in range(70))
    ber = b"\x24\x80" + chunks + b"\x00\x00"
    assert ber_to_der(ber) == b"\x04\x83\x01\x11\x70" + b"a" * 70_000


def test_read_string_merges_chunks() -> None:
    data = bytes.fromhex("2408" "0402aabb" "0402ccdd")
    assert read_string(data, 0, len(data), 0x04) == (bytes.fromhex("aabbccdd"), len(data))


@pytest.mark.parametrize("hex_input", [
    "",                      # nothing
    "30",                    # no length
    "3005020101",            # length beyond input
    "308402000000",          # huge definite length
    "3085ffffffffff00",      # length field too long
    "30ff",                  # reserved length octet
    "0480",                  # indefinite primitive
    "30800201010000" "00",   # trailing octet
    "3080020101",            # no end-of-contents
    "2404" "0202" "0101",    # chunk of another type in a constructed OCTET STRING
    "2302" "0300",           # constructed BIT STRING
    "3002" "0000",           # end-of-contents inside a definite value
    "1f808001",              # non-minimal high tag number
    "1fffffffff7f00",        # tag number too large
])
def test_malformed_ber_is_refused(hex_input: str) -> None:
    with pytest.raises(MalformedMessageError):
        ber_to_der(bytes.fromhex(hex_input))


def test_deep_indefinite_nesting_is_refused() -> None:
    levels = 100_000
    ber = b"\x30\x80" * levels + b"\x00\x00" * levels
    with pytest.raises(MalformedMessageError) as caught:
        ber_to_der(ber)
    assert caught.value.reason == "too_deep"


def test_deep_definite_nesting_is_refused() -> None:
    inner = b"\x05\x00"
    for _ in range(MAX_DEPTH + 5):
        inner = b"\x30" + encode_length(len(inner)) + inner
    with pytest.raises(MalformedMessageError):
        ber_to_der(inner)


def test_deep_constructed_string_nesting_is_refused() -> None:
    levels = 100_000
    ber = b"\x24\x80" * levels + b"\x00\x00" * levels
    with pytest.raises(MalformedMessageError):
        ber_to_der(ber)


def test_too_many_elements_are_refused() -> None:
    ber = b"\x30\x80" + b"\x05\x00" * 200_000 + b"\x00\x00"
    with pytest.raises(MalformedMessageError):
        ber_to_der(ber)


@pytest.mark.parametrize("body", [
    b"\x30\x80" * 100_000,
    b"\x30\x84\xff\xff\xff\xff",
    b"\x30\x80" * 50 + b"\x24\x80" * 50_000,
])
def test_hostile_message_bodies_are_malformed(body: bytes) -> None:
    with pytest.raises(MalformedMessageError):
        parse_message(b"Awala\x43\x00" + body)
