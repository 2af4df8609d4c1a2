"""Meaning checks: timing with clock drift, certificate validity, recipient syntax and binding."""

from datetime import datetime, timedelta
from typing import Literal, TypedDict, Unpack

import pytest

from courier.protocol import (
    Certificate,
    CertificateValidityError,
    ExpiredMessageError,
    FutureMessageError,
    InvalidRecipientError,
    Recipient,
    parse_message,
    validate_message,
)
from courier.protocol.validation import is_internet_address
from courier.testing.issuing import issue_certificate
from tests.protocol.conftest import NOW, MessageFactory, Pki


class Options(TypedDict, total=False):
    """The keywords of validate_message."""

    bound: Literal["internet", "private"] | None
    clock_drift: timedelta


def check(data: bytes, now: datetime = NOW, **options: Unpack[Options]) -> None:
    validate_message(parse_message(data), now, **options)


def test_valid_message(make_message: MessageFactory) -> None:
    check(make_message(), bound="internet")
    check(make_message())


def test_expired(make_message: MessageFactory) -> None:
    data = make_message(creation_date=NOW - timedelta(hours=2), ttl=3600)
    with pytest.raises(ExpiredMessageError) as caught:
        check(data)
    assert caught.value.reason == "expired"
    # Expiry is checked as is: no drift allowance, but the last second is still valid.
    check(data, now=NOW - timedelta(hours=1))
    with pytest.raises(ExpiredMessageError):
        check(data, now=NOW - timedelta(hours=1) + timedelta(seconds=1))


def test_future_beyond_and_within_tolerance(make_message: MessageFactory) -> None:
    with pytest.raises(FutureMessageError) as caught:
        check(make_message(creation_date=NOW + timedelta(hours=2, seconds=1)))
    assert caught.value.reason == "future"
    check(make_message(creation_date=NOW + timedelta(hours=2)))
    check(make_message(creation_date=NOW + timedelta(minutes=30)))
    with pytest.raises(FutureMessageError):
        check(make_message(creation_date=NOW + timedelta(seconds=1)), clock_drift=timedelta(0))
    check(make_message(creation_date=NOW + timedelta(hours=5)), clock_drift=timedelta(hours=6))


def sender(pki: Pki, start: datetime, end: datetime) -> Certificate:
    return issue_certificate(pki.private_key, pki.gateway_key, pki.gateway_cert,
                             not_before=start, not_after=end)


def test_sender_certificate_expired(make_message: MessageFactory, pki: Pki) -> None:
    certificate = sender(pki, NOW - timedelta(days=30), NOW - timedelta(seconds=1))
    data = make_message(sender_certificate=certificate,
                        creation_date=NOW - timedelta(days=2), ttl=10 * 86_400)
    with pytest.raises(CertificateValidityError) as caught:
        check(data)
    assert caught.value.reason == "certificate_expired"
    check(data, now=NOW - timedelta(seconds=1))


def test_sender_certificate_not_yet_valid(make_message: MessageFactory, pki: Pki) -> None:
    late = sender(pki, NOW + timedelta(hours=3), NOW + timedelta(days=30))
    data = make_message(sender_certificate=late, creation_date=NOW + timedelta(hours=1))
    with pytest.raises(CertificateValidityError) as caught:
        check(data)
    assert caught.value.reason == "certificate_not_yet_valid"
    # A certificate starting within the tolerated drift is accepted (our clock may be behind).
    soon = sender(pki, NOW + timedelta(hours=1), NOW + timedelta(days=30))
    check(make_message(sender_certificate=soon, creation_date=NOW + timedelta(hours=1)))


def test_creation_before_the_certificate_start_is_accepted_as_the_libraries_do(
    make_message: MessageFactory, pki: Pki,
) -> None:
    # The Android gateway's delivery authorization starts when it makes its CCA; the Internet
    # gateway back-dates the reply it signs with it by 3 h (PROTOCOL.md section 4).
    authorization = sender(pki, NOW - timedelta(minutes=5), NOW + timedelta(days=30))
    check(make_message(sender_certificate=authorization,
                       creation_date=NOW - timedelta(hours=3, minutes=5), ttl=86_400))
    # Neither library compares the creation date with the certificate at all.
    certificate = sender(pki, NOW - timedelta(days=1), NOW + timedelta(days=1))
    check(make_message(sender_certificate=certificate, creation_date=NOW - timedelta(days=3),
                       ttl=10 * 86_400))


def test_long_lived_certificate_is_fine(make_message: MessageFactory, pki: Pki) -> None:
    certificate = sender(pki, NOW - timedelta(days=1), NOW + timedelta(days=360))
    check(make_message(sender_certificate=certificate))


@pytest.mark.parametrize("recipient_id", ["", "0", "1abc", "0ABC", "0abg", "abc", " 0abc"])
def test_bad_recipient_id(make_message: MessageFactory, recipient_id: str) -> None:
    with pytest.raises(InvalidRecipientError) as caught:
        check(make_message(recipient=Recipient(recipient_id, "gateway.example")))
    assert caught.value.reason == "bad_recipient_id"


@pytest.mark.parametrize("address", [
    "localhost", "LOCALHOST", "foo.localhost", "127.0.0.1", "10.0.0.1", "::1", "[::1]",
    "https://gateway.example", "gateway.example:443", "gateway.example/path", "gateway",
    "", ".example", "gateway.example.", "-gw.example", "gw-.example", "gw..example",
    "gw.123", "a" * 64 + ".example", "user@gateway.example", "gate way.example",
])
def test_bad_internet_address(make_message: MessageFactory, pki: Pki, address: str) -> None:
    with pytest.raises(InvalidRecipientError) as caught:
        check(make_message(recipient=Recipient(pki.gateway_cert.node_id, address)))
    assert caught.value.reason == "bad_internet_address"


@pytest.mark.parametrize("address", [
    "gateway.example", "frankfurt.relaycorp.cloud", "GW.Example", "xn--bcher-kva.example",
    "a-b.c-d.example", "_awala.gateway.example",
])
def test_good_internet_address(address: str) -> None:
    assert is_internet_address(address)


def test_bound_rules(make_message: MessageFactory, pki: Pki) -> None:
    private_bound = make_message(recipient=Recipient(pki.gateway_cert.node_id))
    with pytest.raises(InvalidRecipientError) as caught:
        check(private_bound, bound="internet")
    assert caught.value.reason == "not_internet_bound"
    with pytest.raises(InvalidRecipientError) as caught:
        check(make_message(), bound="private")
    assert caught.value.reason == "not_private_bound"


def test_private_bound_recipient_checks(make_message: MessageFactory, pki: Pki) -> None:
    # The Internet gateway signs cargo for a private gateway with a certificate that the
    # private gateway issued to it (PROTOCOL.md section 4).
    channel = issue_certificate(pki.gateway_key, pki.private_key, pki.private_cert,
                                not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(30))
    to_private = Recipient(pki.private_cert.node_id)
    weak = make_message(recipient=to_private, sender_key=pki.gateway_key,
                        sender_certificate=channel)
    check(weak, bound="private")
    full = make_message(recipient=to_private, sender_key=pki.gateway_key,
                        sender_certificate=channel, ca_certificates=(pki.private_cert,))
    check(full, bound="private")
    # Sender certified by someone else: refused by the weak and by the full check.
    stranger = issue_certificate(pki.gateway_key, pki.stranger_key, pki.stranger_cert,
                                 not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(30))
    for attached in ((), (pki.private_cert,)):
        data = make_message(recipient=to_private, sender_key=pki.gateway_key,
                            sender_certificate=stranger, ca_certificates=attached)
        with pytest.raises(InvalidRecipientError) as caught:
            check(data, bound="private")
        assert caught.value.reason == "sender_not_issued_by_recipient"
        check(data)  # without a bound, only the recipient syntax is checked


def test_naive_now_is_a_programming_error(make_message: MessageFactory) -> None:
    with pytest.raises(ValueError, match="aware"):
        check(make_message(), now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="negative"):
        check(make_message(), clock_drift=timedelta(hours=-1))
