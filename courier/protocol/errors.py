"""Errors of the Awala core: syntax (malformed) versus meaning (invalid), each with a `reason`."""

from courier.errors import ProtocolError
from courier.reasons import Reason


class _ReasonedError(ProtocolError):
    """A protocol error carrying a short machine `reason` for counters and wire statuses."""

    default_reason = Reason.PROTOCOL_ERROR

    def __init__(self, message: str, reason: Reason | None = None) -> None:
        super().__init__(message)
        self.reason = reason or self.default_reason


class MalformedMessageError(_ReasonedError):
    """The bytes are not a well-formed message: BER, framing, schema, truncation."""

    default_reason = Reason.MALFORMED


class MessageTooLargeError(MalformedMessageError):
    """The message (or its payload) is larger than RS-001 allows."""

    default_reason = Reason.TOO_LARGE


class WrongMessageTypeError(MalformedMessageError):
    """The RAMF type octet is unknown or not the one expected."""

    default_reason = Reason.WRONG_TYPE


class InvalidMessageError(_ReasonedError):
    """The message is well formed but must not be accepted (signature, timing, addressing)."""

    default_reason = Reason.INVALID


class InvalidSignatureError(InvalidMessageError):
    """The CMS SignedData signature does not verify, or uses a refused algorithm or key."""

    default_reason = Reason.BAD_SIGNATURE


class ExpiredMessageError(InvalidMessageError):
    """The message's expiry date (creation date + TTL) has passed."""

    default_reason = Reason.EXPIRED


class FutureMessageError(InvalidMessageError):
    """The creation date is later than now plus the tolerated clock drift."""

    default_reason = Reason.FUTURE


class CertificateValidityError(InvalidMessageError):
    """The sender certificate is expired, not yet valid, or does not cover the creation date."""

    default_reason = Reason.CERTIFICATE_VALIDITY


class InvalidRecipientError(InvalidMessageError):
    """The recipient is malformed or does not match the bound or the sender's issuer."""

    default_reason = Reason.BAD_RECIPIENT
