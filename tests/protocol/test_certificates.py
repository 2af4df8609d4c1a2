"""Certificates: ids, the JS and JVM BasicConstraints encodings that trip cryptography, issuance."""

import hashlib
import warnings
from datetime import timedelta

import pytest
from asn1crypto import core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa

from courier.protocol import (
    Certificate,
    MalformedMessageError,
    certificates,
    node_id_from_spki,
    parse_message,
)
from courier.testing.issuing import generate_rsa_key, issue_certificate, pss_padding, spki_der
from courier.testing.serialise import tlv
from tests.protocol.conftest import NOW, MessageFactory, Pki

# BasicConstraints values as the reference libraries write them for a delivery authorization:
JS_BASIC_CONSTRAINTS = bytes.fromhex("3003020100")      # cA omitted, pathLenConstraint 0
JVM_BASIC_CONSTRAINTS = bytes.fromhex("3003010100")     # DEFAULT cA=FALSE encoded explicitly


def reencode_basic_constraints(certificate: Certificate, value: bytes,
                               issuer_key: rsa.RSAPrivateKey) -> bytes:
    """Return `certificate` with another BasicConstraints value, re-signed by `issuer_key`."""
    parsed = asn1_x509.Certificate.load(certificate.der)
    tbs = parsed["tbs_certificate"]
    for extension in tbs["extensions"]:
        if extension["extn_id"].native == "basic_constraints":
            extension["extn_value"] = core.ParsableOctetString(value)
    tbs_der = tbs.dump()
    assert value in tbs_der
    signature = issuer_key.sign(tbs_der, pss_padding(hashes.SHA256()), hashes.SHA256())
    return tlv(0x30, tbs_der, parsed["signature_algorithm"].dump(), tlv(0x03, b"\x00" + signature))


@pytest.mark.parametrize(("value", "cryptography_error"), [
    (JS_BASIC_CONSTRAINTS, "path_length must be None when ca is False"),
    (JVM_BASIC_CONSTRAINTS, None),
], ids=["js", "jvm"])
def test_delivery_authorization_encodings_load(pki: Pki, value: bytes,
                                               cryptography_error: str | None) -> None:
    key = generate_rsa_key()
    plain = issue_certificate(key, pki.private_key, pki.private_cert,
                              not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(1))
    der = reencode_basic_constraints(plain, value, pki.private_key)
    with pytest.raises(ValueError, match=cryptography_error):  # the premise of PROTOCOL.md 3
        _ = x509.load_der_x509_certificate(der).extensions
    certificate = Certificate.from_der(der)
    assert not certificate.is_ca
    assert certificate.node_id == node_id_from_spki(spki_der(key))
    assert certificate.issuer_node_id == pki.private_cert.node_id
    assert certificate.is_issued_by(pki.private_cert)
    assert not certificate.is_issued_by(pki.gateway_cert)


def test_delivery_authorization_can_sign_a_message(make_message: MessageFactory, pki: Pki) -> None:
    key = generate_rsa_key()
    plain = issue_certificate(key, pki.private_key, pki.private_cert,
                              not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(1))
    for value in (JS_BASIC_CONSTRAINTS, JVM_BASIC_CONSTRAINTS):
        certificate = Certificate.from_der(reencode_basic_constraints(plain, value,
                                                                      pki.private_key))
        message = parse_message(make_message(sender_key=key, sender_certificate=certificate,
                                             encoding="jvm"))
        assert message.sender_certificate.der == certificate.der


def test_awala_shape(pki: Pki) -> None:
    cert = pki.private_cert
    assert cert.node_id == "0" + hashlib.sha256(spki_der(pki.private_key)).hexdigest()
    assert len(cert.node_id) == 65  # "0" + 64 hex digits (as relaynet-core-js computes it)
    assert cert.issuer_node_id == pki.gateway_cert.node_id
    assert cert.is_ca
    assert cert.not_before == NOW - timedelta(days=10)
    assert cert.not_after == NOW + timedelta(days=300)
    assert cert.public_key.key_size == 2048
    parsed = x509.load_der_x509_certificate(cert.der)
    with warnings.catch_warnings():  # cryptography warns that the CN exceeds X.520's 64 chars
        warnings.simplefilter("ignore", UserWarning)
        common_name = parsed.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0]
    assert common_name.value == cert.node_id
    basic = parsed.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical
    ski = parsed.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert "0" + ski.digest.hex() == cert.node_id
    assert parsed.signature_algorithm_oid == x509.SignatureAlgorithmOID.RSASSA_PSS


def test_issuance_checks(pki: Pki) -> None:
    assert pki.private_cert.is_issued_by(pki.gateway_cert)
    assert not pki.private_cert.is_issued_by(pki.stranger_cert)
    assert pki.gateway_cert.is_issued_by(pki.gateway_cert)  # self-issued
    assert pki.stranger_cert.issuer_node_id == pki.stranger_cert.node_id


def test_issuer_key_must_match_issuer_certificate(pki: Pki) -> None:
    with pytest.raises(ValueError, match="does not match"):
        issue_certificate(generate_rsa_key(), pki.stranger_key, pki.gateway_cert)


def test_certificates_are_cached_and_compared_by_der(pki: Pki) -> None:
    again = Certificate.from_der(bytes(pki.private_cert.der))
    assert Certificate.from_der(bytes(pki.private_cert.der)) is again
    assert again == pki.private_cert
    assert hash(again) == hash(pki.private_cert)
    assert pki.private_cert != pki.gateway_cert
    assert "node_id" in repr(again)


def test_no_aki_means_no_issuer_node_id(pki: Pki) -> None:
    parsed = asn1_x509.Certificate.load(pki.stranger_cert.der)
    tbs = parsed["tbs_certificate"]
    tbs["extensions"] = asn1_x509.Extensions(
        [e for e in tbs["extensions"] if e["extn_id"].native != "authority_key_identifier"])
    tbs_der = tbs.dump(force=True)
    signature = pki.stranger_key.sign(tbs_der, pss_padding(hashes.SHA256()), hashes.SHA256())
    der = tlv(0x30, tbs_der, parsed["signature_algorithm"].dump(),
              tlv(0x03, b"\x00" + signature))
    assert Certificate.from_der(der).issuer_node_id is None


@pytest.mark.parametrize("der", [b"", b"\x30\x00", b"garbage", b"\x30\x03\x02\x01\x01"])
def test_garbage_certificates_are_malformed(der: bytes) -> None:
    with pytest.raises(MalformedMessageError) as caught:
        Certificate.from_der(der)
    assert caught.value.reason == "bad_certificate"


def test_cache_is_bounded(pki: Pki) -> None:
    issued = [issue_certificate(pki.stranger_key, not_before=NOW, not_after=NOW + timedelta(1))
              for _ in range(certificates.CACHE_SIZE + 5)]
    assert len(certificates._CACHE) <= certificates.CACHE_SIZE
    assert not certificates.is_cached(issued[0].der)
    assert certificates.is_cached(issued[-1].der)
    assert Certificate.from_der(issued[0].der) == issued[0]  # parsed again on demand


def test_certificates_are_immutable(pki: Pki) -> None:
    with pytest.raises(AttributeError):
        pki.private_cert.node_id = "0abc"
    with pytest.raises(AttributeError):
        del pki.private_cert.is_ca
