"""Meaning checks on a parsed RAMF message: timing, recipient syntax and binding (PROTOCOL.md 4)."""

import ipaddress
import re
from datetime import datetime, timedelta
from typing import Literal

from courier.protocol.errors import (
    CertificateValidityError,
    ExpiredMessageError,
    FutureMessageError,
    InvalidRecipientError,
)
from courier.protocol.ramf import RamfMessage, Recipient
from courier.reasons import Reason

# The one definition of the drift tolerance (docs/panel.md, "Clock policy"): a message dated more
# than this ahead of a trusted clock is refused.
DEFAULT_CLOCK_DRIFT = timedelta(hours=2)
NODE_ID_PATTERN = re.compile(r"0[a-f0-9]+")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_TOP_LABEL = re.compile(r"(?!-)[a-z0-9-]{2,63}(?<!-)")


def validate_message(
    message: RamfMessage,
    now: datetime,
    *,
    bound: Literal["internet", "private"] | None = None,
    clock_drift: timedelta = DEFAULT_CLOCK_DRIFT,
) -> None:
    """Raise an InvalidMessageError subclass unless `message` may be accepted at `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if clock_drift < timedelta(0):
        raise ValueError("clock_drift must not be negative")
    _check_timing(message, now, clock_drift)
    check_recipient_syntax(message.recipient)
    if bound == "internet" and message.recipient.internet_address is None:
        raise InvalidRecipientError("Internet-bound message lacks an Internet address",
                                    Reason.NOT_INTERNET_BOUND)
    if bound == "private":
        if message.recipient.internet_address is not None:
            raise InvalidRecipientError("message for a private gateway has an Internet address",
                                        Reason.NOT_PRIVATE_BOUND)
        check_sender_issued_by_recipient(message)


def _check_timing(message: RamfMessage, now: datetime, drift: timedelta) -> None:
    """Apply the drift tolerance to dates that look in the future; expiry is checked as is."""
    certificate = message.sender_certificate
    if now + drift < certificate.not_before:
        raise CertificateValidityError("sender certificate is not valid yet",
                                       Reason.CERTIFICATE_NOT_YET_VALID)
    if now > certificate.not_after:
        raise CertificateValidityError("sender certificate has expired", Reason.CERTIFICATE_EXPIRED)
    if message.creation_date > now + drift:
        raise FutureMessageError(
            f"creation date {message.creation_date.isoformat()} is in the future", Reason.FUTURE)
    if message.expiry_date < now:
        raise ExpiredMessageError(f"message expired at {message.expiry_date.isoformat()}",
                                  Reason.EXPIRED)
    # No check of the creation date against the certificate's start or end: neither official
    # library makes one (awala-jvm and relaynet-core-js validateTiming), and the Internet
    # gateway back-dates a reply by 3 h while the Android gateway's delivery authorization
    # starts when its CCA is made (PROTOCOL.md section 4).


def check_recipient_syntax(recipient: Recipient) -> None:
    """Refuse a recipient id not matching ^0[a-f0-9]+$ or an address that is not a DNS name."""
    if NODE_ID_PATTERN.fullmatch(recipient.id) is None:
        raise InvalidRecipientError(f"recipient id {recipient.id[:80]!r} is not a node id",
                                    Reason.BAD_RECIPIENT_ID)
    address = recipient.internet_address
    if address is not None and not is_internet_address(address):
        raise InvalidRecipientError(f"{address[:80]!r} is not a bare DNS name",
                                    Reason.BAD_INTERNET_ADDRESS)


def is_internet_address(address: str) -> bool:
    """Tell whether `address` is a bare DNS name (no scheme, port, IP literal or localhost)."""
    name = address.lower()
    if len(name) > 253 or name == "localhost" or name.endswith(".localhost"):
        return False
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        pass
    else:
        return False
    labels = name.split(".")
    if len(labels) < 2 or _TOP_LABEL.fullmatch(labels[-1]) is None or labels[-1].isdigit():
        return False
    return all(_LABEL.fullmatch(label) for label in labels[:-1])


def check_sender_issued_by_recipient(message: RamfMessage) -> None:
    """PROTOCOL.md section 4: a private-bound message's sender was issued by its recipient."""
    recipient_id = message.recipient.id
    sender = message.sender_certificate
    for certificate in message.ca_certificates:
        if certificate.node_id == recipient_id:
            # Full check: the recipient's certificate is attached, so verify the issuance.
            if not sender.is_issued_by(certificate):
                raise InvalidRecipientError(
                    "sender certificate was not issued by the attached recipient certificate",
                    Reason.SENDER_NOT_ISSUED_BY_RECIPIENT)
            return
    # Weak check: the Internet gateway attaches no chain; AKI = SHA-256 of the issuer's SPKI.
    if sender.issuer_node_id != recipient_id:
        raise InvalidRecipientError("sender certificate was not issued by the recipient",
                                    Reason.SENDER_NOT_ISSUED_BY_RECIPIENT)
