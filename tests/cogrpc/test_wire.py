"""courier.cogrpc.wire reads CargoDelivery as protobuf does, and refuses what protobuf refuses."""

import pytest
from google.protobuf.message import DecodeError
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.cogrpc.generated import cogrpc_pb2
from courier.cogrpc.wire import Delivery, WireError, parse_delivery, serialize_delivery


def _protobuf(raw: bytes) -> tuple[str, bytes] | None:
    try:
        message = cogrpc_pb2.CargoDelivery.FromString(raw)
    except DecodeError:
        return None
    return message.id, message.cargo


def _ours(raw: bytes) -> tuple[str, bytes] | None:
    try:
        delivery = parse_delivery(raw)
    except WireError:
        return None
    return delivery.id, delivery.cargo


@given(st.text(max_size=80), st.binary(max_size=4000))
def test_reads_what_protobuf_writes(delivery_id: str, cargo: bytes) -> None:
    raw = cogrpc_pb2.CargoDelivery(id=delivery_id, cargo=cargo).SerializeToString()
    delivery = parse_delivery(raw)
    assert (delivery.id, delivery.cargo) == (delivery_id, cargo)


@given(st.text(max_size=80), st.binary(max_size=4000))
def test_writes_exactly_what_protobuf_writes(delivery_id: str, cargo: bytes) -> None:
    ours = serialize_delivery(Delivery(delivery_id, cargo))
    assert ours == cogrpc_pb2.CargoDelivery(id=delivery_id, cargo=cargo).SerializeToString()
    back = parse_delivery(ours)
    assert (back.id, back.cargo) == (delivery_id, cargo)


def test_writes_long_lengths_as_protobuf_does() -> None:
    for size in (127, 128, 16_383, 16_384, 9_437_184):
        cargo = b"c" * size
        ours = serialize_delivery(Delivery("x" * 200, cargo))
        assert ours == cogrpc_pb2.CargoDelivery(id="x" * 200, cargo=cargo).SerializeToString()


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


@st.composite
def _field(draw: st.DrawFn) -> bytes:
    """One well-formed field: a known or unknown number, any non-group wire type."""
    number = draw(st.sampled_from([1, 2, 3, 15, 16, 2000]))
    wire_type = draw(st.sampled_from([0, 1, 2, 5]))
    key = _varint(number << 3 | wire_type)
    if wire_type == 0:
        return key + _varint(draw(st.integers(0, 2**64 - 1)))
    if wire_type == 1:
        return key + draw(st.binary(min_size=8, max_size=8))
    if wire_type == 5:
        return key + draw(st.binary(min_size=4, max_size=4))
    body = draw(st.text(max_size=20)).encode() if number == 1 else draw(st.binary(max_size=40))
    return key + _varint(len(body)) + body


@settings(max_examples=400)
@given(st.lists(_field(), max_size=6))
def test_agrees_with_protobuf_on_well_formed_field_sequences(fields: list[bytes]) -> None:
    raw = b"".join(fields)
    assert _ours(raw) == _protobuf(raw)


@settings(max_examples=1000)
@given(st.binary(max_size=64))
def test_never_accepts_what_protobuf_refuses_nor_disagrees(raw: bytes) -> None:
    ours, theirs = _ours(raw), _protobuf(raw)
    if ours is not None:
        assert ours == theirs
    if theirs is None:
        assert ours is None


def test_every_truncation_is_refused_or_a_shorter_message() -> None:
    raw = cogrpc_pb2.CargoDelivery(id="delivery-1", cargo=b"c" * 300).SerializeToString()
    for cut in range(len(raw)):
        assert _ours(raw[:cut]) == _protobuf(raw[:cut])


@pytest.mark.parametrize("raw", [
    b"\x12\xff\xff\xff\xff\x0f",  # a cargo length of 4 GiB in a 6-octet message
    b"\x12" + b"\xff" * 11,  # varint longer than 10 octets
    b"\x0a\x02\xc3\x28",  # id that is not UTF-8
    b"\x00\x01",  # field number 0
    b"\x1b\x1c",  # a group (wire type 3)
])
def test_hostile_encodings_are_refused(raw: bytes) -> None:
    with pytest.raises(WireError):
        parse_delivery(raw)


@given(st.text(max_size=80), st.binary(max_size=4000))
def test_the_cargo_is_read_in_place_when_it_comes_last(delivery_id: str, cargo: bytes) -> None:
    raw = cogrpc_pb2.CargoDelivery(id=delivery_id, cargo=cargo).SerializeToString()
    delivery = parse_delivery(raw)
    buffer, start = delivery.in_place()
    assert buffer[start:] == cargo and delivery.span.size == len(cargo)
    if cargo:  # the tail of the very bytes gRPC handed over: no copy
        assert buffer is raw


def test_a_cargo_followed_by_other_fields_is_copied_out() -> None:
    raw = (cogrpc_pb2.CargoDelivery(cargo=b"cargo").SerializeToString()
           + cogrpc_pb2.CargoDelivery(id="late").SerializeToString() + b"\x18\x05")
    delivery = parse_delivery(raw)
    buffer, start = delivery.in_place()
    assert (delivery.id, buffer, start) == ("late", b"cargo", 0)
