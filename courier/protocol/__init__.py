"""Sans-I/O Awala core: BER/DER, CMS SignedData, RAMF cargo and CCAs, certificates, validation."""

from courier.protocol.certificates import Certificate, node_id_from_spki
from courier.protocol.errors import (
    CertificateValidityError,
    ExpiredMessageError,
    FutureMessageError,
    InvalidMessageError,
    InvalidRecipientError,
    InvalidSignatureError,
    MalformedMessageError,
    MessageTooLargeError,
    WrongMessageTypeError,
)
from courier.protocol.ramf import (
    MAX_MESSAGE_SIZE,
    MessageType,
    RamfMessage,
    Recipient,
    parse_message,
)
from courier.protocol.validation import validate_message

__all__ = [
    "MAX_MESSAGE_SIZE",
    "Certificate",
    "CertificateValidityError",
    "ExpiredMessageError",
    "FutureMessageError",
    "InvalidMessageError",
    "InvalidRecipientError",
    "InvalidSignatureError",
    "MalformedMessageError",
    "MessageTooLargeError",
    "MessageType",
    "RamfMessage",
    "Recipient",
    "WrongMessageTypeError",
    "node_id_from_spki",
    "parse_message",
    "validate_message",
]
