"""The server's TLS certificate: fixed wide dates, never the device clock (PROTOCOL.md 7)."""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from courier.cogrpc.tls import NOT_AFTER, NOT_BEFORE, tls_identity


def _load(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def test_dates_are_fixed_and_the_certificate_names_the_address(tmp_path: Path) -> None:
    _, pem = tls_identity(tmp_path, "10.97.0.1")
    certificate = _load(pem)
    assert certificate.not_valid_before_utc == NOT_BEFORE
    assert certificate.not_valid_after_utc == NOT_AFTER
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert names.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("10.97.0.1")]
    assert tls_identity(tmp_path, "10.97.0.1")[1] == pem  # the same one every time


def test_a_certificate_dated_from_a_wrong_device_clock_is_reissued(tmp_path: Path) -> None:
    key_pem, _ = tls_identity(tmp_path, "10.97.0.1")
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    # What an older version issued on a device whose clock was five years ahead.
    ahead = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=5 * 365)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Awala courier")])
    old = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
           .public_key(key.public_key()).serial_number(1)
           .not_valid_before(ahead - datetime.timedelta(days=365))
           .not_valid_after(ahead + datetime.timedelta(days=20 * 365))
           .add_extension(x509.SubjectAlternativeName(
               [x509.IPAddress(ipaddress.ip_address("10.97.0.1"))]), critical=False)
           .sign(key, hashes.SHA256()))
    (tmp_path / "keys" / "tls.crt").write_bytes(old.public_bytes(serialization.Encoding.PEM))
    renewed = _load(tls_identity(tmp_path, "10.97.0.1")[1])
    assert renewed.not_valid_before_utc == NOT_BEFORE
    assert renewed.not_valid_before_utc <= datetime.datetime.now(datetime.UTC)
