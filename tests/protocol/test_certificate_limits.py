"""Certificates cost bounded memory: size refused before parsing, cache bounded in bytes."""

import contextlib
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courier.protocol import Certificate, MalformedMessageError, parse_message
from courier.protocol import certificates as certificates_module
from courier.protocol.ber import NotDerError
from courier.protocol.cms_der import certificate_sid
from tests.abuse.material import giant_certificate
from tests.protocol.conftest import MessageFactory, Pki


def test_a_certificate_over_16_kib_is_refused_unparsed() -> None:
    # A SEQUENCE header and garbage: parsing would say bad_certificate; the size check says first.
    der = b"\x30\x82\x40\x01" + b"\x00" * 0x4001
    with pytest.raises(MalformedMessageError) as caught:
        Certificate.from_der(der)
    assert caught.value.reason == "oversize_certificate"
    assert not certificates_module.is_cached(der)


@pytest.mark.parametrize("encoding", ["der", "js", "jvm"])
@pytest.mark.parametrize("as_signer", [True, False])
def test_a_message_with_an_oversize_certificate_is_malformed(
    make_message: MessageFactory, pki: Pki, encoding: str, as_signer: bool,
) -> None:
    giant = giant_certificate(pki.private_key, 17 * 1024)
    options = ({"sender_certificate": giant} if as_signer else {"ca_certificates": (giant,)})
    data = make_message(encoding=encoding, **options)
    with pytest.raises(MalformedMessageError) as caught:
        parse_message(data)
    assert caught.value.reason == "oversize_certificate"


def test_extra_certificates_are_parsed_only_when_asked_for(
    make_message: MessageFactory, pki: Pki,
) -> None:
    extra = giant_certificate(pki.stranger_key, 100)  # a fresh certificate, never parsed
    message = parse_message(make_message(ca_certificates=(extra,)))
    assert not certificates_module.is_cached(extra.der)
    assert [c.der for c in message.ca_certificates] == [extra.der]
    assert certificates_module.is_cached(extra.der)


def test_an_unreadable_extra_certificate_fails_only_when_read(
    make_message: MessageFactory, pki: Pki,
) -> None:
    bogus = giant_certificate(pki.stranger_key, 100)
    bogus.der = b"\x30\x03\x02\x01\x01"  # DER-shaped, not a certificate
    message = parse_message(make_message(ca_certificates=(bogus,)))
    assert message.sender_certificate == pki.private_cert
    with pytest.raises(MalformedMessageError):
        _ = message.ca_certificates


def test_the_cache_is_bounded_in_bytes(pki: Pki) -> None:
    big = [giant_certificate(pki.stranger_key, 15 * 1024) for _ in range(80)]
    for each in big:
        Certificate.from_der(each.der)
    assert certificates_module._cache_bytes <= certificates_module.CACHE_BYTES
    assert certificates_module.is_cached(big[-1].der)
    assert not certificates_module.is_cached(big[0].der)
    assert Certificate.from_der(big[0].der).not_after - Certificate.from_der(
        big[0].der).not_before == timedelta(days=31)  # parsed again on demand


def test_the_signer_id_read_in_place_matches_the_parsed_certificate(pki: Pki) -> None:
    for certificate in (pki.gateway_cert, pki.private_cert, pki.stranger_cert):
        assert certificate_sid(certificate.der) == (certificate.issuer_der,
                                                    certificate.serial_number)


@settings(max_examples=500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_signer_id_reader_raises_only_its_errors_on_hostile_input(
    pki: Pki, data: st.DataObject,
) -> None:
    der = bytearray(pki.private_cert.der)
    for _ in range(data.draw(st.integers(1, 4))):
        der[data.draw(st.integers(0, len(der) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(der)))
    with contextlib.suppress(MalformedMessageError, NotDerError):
        certificate_sid(bytes(der[:cut]))


@pytest.mark.parametrize("der", [b"", b"\x30\x00", b"\x30\x02\x30\x00", b"\x30\x04\x30\x02\xa0\x00",
                                 b"\x30\x05\x30\x03\x02\x01\x01", b"\x30\x80\x00\x00"])
def test_the_signer_id_reader_refuses_truncated_certificates(der: bytes) -> None:
    with pytest.raises((MalformedMessageError, NotDerError)):
        certificate_sid(der)
