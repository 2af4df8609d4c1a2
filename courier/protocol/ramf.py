"""RAMF (RS-001 as deployed): format signature, signed field set, and the parsed message."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum

from courier.errors import ProtocolError
from courier.protocol.ber import NotDerError, Span, ber_to_der
from courier.protocol.ber_reader import BerReader
from courier.protocol.certificates import Certificate
from courier.protocol.cms import verify_signed_data
from courier.protocol.errors import (
    MalformedMessageError,
    MessageTooLargeError,
    WrongMessageTypeError,
)
from courier.reasons import Reason

# Limits used by both reference libraries (PROTOCOL.md section 2); checked at parse time because
# they bound the representation itself, as the libraries' deserialisers do.
MAX_MESSAGE_SIZE = 9_437_184
MAX_PAYLOAD_SIZE = 8 * 1024 * 1024
MAX_MESSAGE_ID_LENGTH = 64
MAX_ADDRESS_LENGTH = 1024
MAX_TTL = 15_552_000
FORMAT_SIGNATURE = b"Awala"
OBSOLETE_FORMAT_SIGNATURE = b"Relaynet"
MESSAGE_VERSION = 0x00
HEADER_LENGTH = len(FORMAT_SIGNATURE) + 2
_VISIBLE = re.compile(rb"[\x20-\x7e]*")  # X.680 VisibleString: printable ASCII and space


class MessageType(IntEnum):
    """The RAMF concrete message type octet of what a courier relays."""

    CARGO = 0x43
    CCA = 0x44


_TYPES = {int(kind): kind for kind in MessageType}


@dataclass(frozen=True)
class Recipient:
    """A RAMF recipient: a node id, plus the Internet address when Internet-bound."""

    id: str
    internet_address: str | None = None


@dataclass(frozen=True)
class RamfMessage:
    """A parsed, signature-checked RAMF message; relay `serialized`, never re-serialise."""

    message_type: MessageType
    recipient: Recipient
    id: str
    creation_date: datetime
    ttl: int
    payload_view: memoryview  # inside `source` when the content was DER: not a copy
    sender_certificate: Certificate
    attached: tuple[bytes, ...]  # other certificates' DER: parsed only when asked for
    octets: Span  # as received, e.g. in place at the end of a CargoDelivery

    @property
    def ca_certificates(self) -> tuple[Certificate, ...]:
        """Return the other attached certificates, parsed (raise MalformedMessageError)."""
        return tuple(Certificate.from_der(der) for der in self.attached)

    @property
    def serialized(self) -> bytes:
        """Return the message's octets as received (a copy only if it was read in place)."""
        return self.octets.copy()

    @property
    def serialized_view(self) -> memoryview:
        """Return the message's octets as received, without a copy."""
        return self.octets.view()

    @property
    def size(self) -> int:
        """Return the message's length in octets."""
        return self.octets.size

    @property
    def expiry_date(self) -> datetime:
        """Return creation date + TTL (RS-001)."""
        return self.creation_date + timedelta(seconds=self.ttl)

    @property
    def payload(self) -> bytes:
        """Return a copy of the payload (the courier relays messages without needing it)."""
        return bytes(self.payload_view)

    @property
    def payload_size(self) -> int:
        """Return the payload length in octets."""
        return len(self.payload_view)

    @property
    def sender_id(self) -> str:
        """Return the node id of the sender's certificate."""
        return self.sender_certificate.node_id

    @property
    def is_internet_bound(self) -> bool:
        """Tell whether the recipient carries an Internet address."""
        return self.recipient.internet_address is not None


def parse_message(data: bytes, expected_type: MessageType | None = None,
                  start: int = 0) -> RamfMessage:
    """Check the syntax and signature of the RAMF message `data[start:]`; validate it separately.

    `start` lets a message be read where it lies, at the end of a bigger buffer, without a copy.
    """
    if type(data) is not bytes:
        data = bytes(data)
    if not 0 <= start <= len(data):
        raise ValueError(f"start {start} is outside the {len(data)} octets")
    if len(data) - start > MAX_MESSAGE_SIZE:
        raise MessageTooLargeError(
            f"message of {len(data) - start} octets exceeds {MAX_MESSAGE_SIZE}", Reason.TOO_LARGE)
    message_type = _read_format_signature(data, start, expected_type)
    signed = verify_signed_data(data, start + HEADER_LENGTH)
    recipient, message_id, creation_date, ttl, payload = parse_field_set(signed.econtent)
    return RamfMessage(message_type, recipient, message_id, creation_date, ttl, payload,
                       signed.signer, signed.attached, Span(data, start, len(data)))


def _read_format_signature(data: bytes, start: int,
                           expected_type: MessageType | None) -> MessageType:
    if data.startswith(OBSOLETE_FORMAT_SIGNATURE, start):
        raise MalformedMessageError(
            'obsolete "Relaynet" format signature: the sender must upgrade to "Awala"',
            Reason.OBSOLETE_FORMAT)
    if len(data) - start < HEADER_LENGTH:
        raise MalformedMessageError("too short for a RAMF format signature", Reason.TRUNCATED)
    if not data.startswith(FORMAT_SIGNATURE, start):
        raise MalformedMessageError('RAMF format signature must begin with "Awala"',
                                    Reason.BAD_FORMAT_SIGNATURE)
    octet = data[start + 5]
    message_type = _TYPES.get(octet)
    if message_type is None:
        raise WrongMessageTypeError(f"message type 0x{octet:02x} is not cargo or CCA",
                                    Reason.UNKNOWN_TYPE)
    if expected_type is not None and message_type is not expected_type:
        raise WrongMessageTypeError(
            f"expected {expected_type.name} (0x{expected_type:02x}), got {message_type.name}",
            Reason.WRONG_TYPE)
    if data[start + 6] != MESSAGE_VERSION:
        raise MalformedMessageError(f"message version 0x{data[start + 6]:02x} is not 0x00",
                                    Reason.UNSUPPORTED_VERSION)
    return message_type


def _field_error(message: str, reason: Reason = Reason.BAD_FIELD_SET) -> MalformedMessageError:
    return MalformedMessageError(f"RAMF field set: {message}", reason)


def parse_field_set(encoded: Span) -> tuple[Recipient, str, datetime, int, memoryview]:
    """Decode the signed field set: (recipient, id, creation date, ttl, payload).

    Read in place first; whatever that refuses or cannot read is decided by the reading of the
    DER normalisation, so a refusal and its reason do not depend on the encoding.
    """
    try:
        return _read_field_set(encoded)
    except (NotDerError, ProtocolError):
        return read_field_set_normalised(encoded)


def read_field_set_normalised(encoded: Span) -> tuple[Recipient, str, datetime, int, memoryview]:
    """Normalise the field set to DER, then read it: the verdict and its reason."""
    try:
        return _read_field_set(Span.whole(ber_to_der(encoded.copy())))
    except NotDerError:
        raise _field_error("not normalisable to DER") from None


def _read_field_set(span: Span) -> tuple[Recipient, str, datetime, int, memoryview]:
    data = span.source
    reader = BerReader(data)
    top = reader.element(span.start, span.end)
    if top[0] != 0x30 or top[4] != span.end:
        raise _field_error("not one SEQUENCE")
    # Every element is context-specific IMPLICIT [0]..[4]; only the recipient is constructed.
    recipient, ident, date, ttl, payload = reader.children(
        top, 0xA0, 0x81, 0x82, 0x83, 0x84, what="the RAMF field set")
    parts = reader.children(recipient, what="the recipient")
    if tuple(p[0] for p in parts) not in ((0x80,), (0x80, 0x81)):
        raise _field_error("recipient must be [0] id and optional [1] internetAddress")
    address = None
    if len(parts) == 2:
        address = _visible(data[parts[1][2]:parts[1][3]], "Internet address", MAX_ADDRESS_LENGTH)
    if payload[3] - payload[2] > MAX_PAYLOAD_SIZE:
        raise MessageTooLargeError(
            f"payload of {payload[3] - payload[2]} octets exceeds {MAX_PAYLOAD_SIZE}",
            Reason.PAYLOAD_TOO_LARGE)
    return (Recipient(_visible(data[parts[0][2]:parts[0][3]], "recipient id", MAX_ADDRESS_LENGTH),
                      address),
            _visible(data[ident[2]:ident[3]], "message id", MAX_MESSAGE_ID_LENGTH),
            _date(data[date[2]:date[3]]), _ttl(data[ttl[2]:ttl[3]]),
            memoryview(data)[payload[2]:payload[3]])


def _visible(raw: bytes, what: str, limit: int) -> str:
    if len(raw) > limit:
        raise _field_error(f"{what} of {len(raw)} characters exceeds {limit}",
                           Reason.FIELD_TOO_LONG)
    if _VISIBLE.fullmatch(raw) is None:
        raise _field_error(f"{what} is not a VisibleString")
    return raw.decode("ascii")


def _date(raw: bytes) -> datetime:
    # RS-001 as deployed: 14 digits YYYYMMDDHHmmss in UTC, no zone letter, no fraction.
    if len(raw) != 14 or not raw.isdigit():
        raise _field_error("creationDate must be 14 digits YYYYMMDDHHmmss", Reason.BAD_DATE)
    rest, second = divmod(int(raw), 100)
    rest, minute = divmod(rest, 100)
    rest, hour = divmod(rest, 100)
    rest, day = divmod(rest, 100)
    year, month = divmod(rest, 100)
    if year >= 9999:  # leave room for creation + TTL + drift arithmetic (datetime ends in 9999)
        raise _field_error(f"creationDate year {year} is out of range", Reason.BAD_DATE)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise _field_error(f"creationDate {raw!r} is not a date", Reason.BAD_DATE) from None


def _ttl(raw: bytes) -> int:
    if not raw or len(raw) > 5:
        raise _field_error("ttl INTEGER has a bad length", Reason.BAD_TTL)
    ttl = int.from_bytes(raw, "big", signed=True)
    if not 0 <= ttl <= MAX_TTL:
        raise _field_error(f"ttl {ttl} is outside 0..{MAX_TTL}", Reason.BAD_TTL)
    return ttl
