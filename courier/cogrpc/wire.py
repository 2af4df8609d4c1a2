"""CargoDelivery read from and written to its protobuf wire bytes, the cargo never copied.

The generated class would build a message holding the cargo, then copy it again on access; at
9 MiB per cargo and several gateways at once that is most of the server's memory. A delivery
read here keeps the message as gRPC handed it over, and the cargo is parsed where it lies.
Fields as in cogrpc.proto: 1 `id` (string), 2 `cargo` (bytes); unknown fields (and known ones
with another wire type) are skipped as protobuf does, the last occurrence of a field wins, and
groups are refused.
"""

from dataclasses import dataclass

from courier.protocol.ber import Span

_VARINT, _FIXED64, _DELIMITED, _FIXED32 = 0, 1, 2, 5
_MAX_VARINT_BYTES = 10
_MAX_FIELD = (1 << 29) - 1


class WireError(ValueError):
    """The bytes are not a valid CargoDelivery."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One CargoDelivery to send: the gateway's id for it and the cargo."""

    id: str
    cargo: bytes


@dataclass(frozen=True, slots=True)
class Received:
    """One CargoDelivery as read: the id, and the cargo where it lies in the message."""

    id: str
    span: Span  # the cargo, inside the message as gRPC handed it over

    @property
    def cargo(self) -> bytes:
        """Return the cargo's octets (a copy)."""
        return self.span.copy()

    def in_place(self) -> tuple[bytes, int]:
        """Return (buffer, start), the cargo being buffer[start:]; a copy only if fields follow it.

        Every client encodes the cargo last (protobuf writes fields in number order), so the
        cargo is the tail of the message and is read without a copy.
        """
        if self.span.end == len(self.span.source):
            return self.span.source, self.span.start
        return self.span.copy(), 0


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Return (value, next position) of the base-128 varint at `pos`."""
    value = 0
    for shift in range(0, 7 * _MAX_VARINT_BYTES, 7):
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if value >= 1 << 64:
                raise WireError("varint longer than 64 bits")
            return value, pos
    raise WireError("varint longer than 10 bytes")


def _skip(data: bytes, pos: int, wire_type: int) -> int:
    """Return the position after an unknown field's value."""
    if wire_type == _VARINT:
        return _varint(data, pos)[1]
    size = {_FIXED64: 8, _FIXED32: 4}.get(wire_type)
    if size is None:
        raise WireError(f"unsupported wire type {wire_type}")
    if pos + size > len(data):
        raise WireError("truncated fixed-size field")
    return pos + size


def parse_delivery(data: bytes) -> Received:
    """Decode a CargoDelivery; raise WireError on anything protobuf would refuse."""
    delivery_id, start, end, pos = "", 0, 0, 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire_type = key >> 3, key & 7
        if not 0 < field <= _MAX_FIELD or key >= 1 << 32:
            raise WireError(f"field number {field} out of range")
        if wire_type != _DELIMITED:  # unknown, or a known field with another type: skipped
            pos = _skip(data, pos, wire_type)
            continue
        length, pos = _varint(data, pos)
        field_end = pos + length
        if field_end > len(data):
            raise WireError("length-delimited field runs past the end")
        if field == 1:
            try:
                delivery_id = data[pos:field_end].decode("utf-8")
            except UnicodeDecodeError:
                raise WireError("id is not UTF-8") from None
        elif field == 2:
            start, end = pos, field_end
        pos = field_end
    return Received(delivery_id, Span(data, start, end))


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def serialize_delivery(delivery: Delivery) -> bytes:
    """Encode a CargoDelivery as protobuf does (fields in order, empty ones left out)."""
    ident = delivery.id.encode("utf-8")
    parts = []
    if ident:
        parts += [b"\x0a", _encode_varint(len(ident)), ident]
    if delivery.cargo:
        parts += [b"\x12", _encode_varint(len(delivery.cargo)), delivery.cargo]
    return b"".join(parts)
