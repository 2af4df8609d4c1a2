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
from courier.protocol.issuing import generate_rsa_key, issue_certificate
from courier.protocol.ramf import (
    MAX_MESSAGE_SIZE,
    MessageType,
    RamfMessage,
    Recipient,
    parse_message,
)
from courier.protocol.serialise import serialize_message
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
    "generate_rsa_key",
    "issue_certificate",
    "node_id_from_spki",
    "parse_message",
    "serialize_message",
    "validate_message",
]
