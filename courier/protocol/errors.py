"""Errors of the Awala core: syntax (malformed) versus meaning (invalid), each with a `reason`."""

from courier.errors import ProtocolError


class _ReasonedError(ProtocolError):
    """A protocol error carrying a short machine `reason` for counters and wire statuses."""

    default_reason = "protocol_error"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason: str = reason or self.default_reason


class MalformedMessageError(_ReasonedError):
    """The bytes are not a well-formed message: BER, framing, schema, truncation."""

    default_reason = "malformed"


class MessageTooLargeError(MalformedMessageError):
    """The message (or its payload) is larger than RS-001 allows."""

    default_reason = "too_large"


class WrongMessageTypeError(MalformedMessageError):
    """The RAMF type octet is unknown or not the one expected."""

    default_reason = "wrong_type"


class InvalidMessageError(_ReasonedError):
    """The message is well formed but must not be accepted (signature, timing, addressing)."""

    default_reason = "invalid"


class InvalidSignatureError(InvalidMessageError):
    """The CMS SignedData signature does not verify, or uses a refused algorithm or key."""

    default_reason = "bad_signature"


class ExpiredMessageError(InvalidMessageError):
    """The message's expiry date (creation date + TTL) has passed."""

    default_reason = "expired"


class FutureMessageError(InvalidMessageError):
    """The creation date is later than now plus the tolerated clock drift."""

    default_reason = "future"


class CertificateValidityError(InvalidMessageError):
    """The sender certificate is expired, not yet valid, or does not cover the creation date."""

    default_reason = "certificate_validity"


class InvalidRecipientError(InvalidMessageError):
    """The recipient is malformed or does not match the bound or the sender's issuer."""

    default_reason = "bad_recipient"
