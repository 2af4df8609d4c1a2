"""Test and benchmark helpers: RSA keys and certificates in the Awala shape (RS-002, section 3).

These helpers read the system clock when no dates are given: they make fixtures, never decisions.
"""

import hashlib
import warnings
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from courier.protocol.certificates import Certificate, node_id_from_spki

DEFAULT_VALIDITY = timedelta(days=30)


def generate_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """Return a new RSA private key (RS-018: at least 2048 bits)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def spki_der(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    """Return the DER SubjectPublicKeyInfo of a key."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(serialization.Encoding.DER,
                               serialization.PublicFormat.SubjectPublicKeyInfo)


def pss_padding(digest: hashes.HashAlgorithm) -> padding.PSS:
    """Return RSASSA-PSS with MGF1 of the same hash and a salt of the hash length (RS-018)."""
    return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)


def _name(node_id: str) -> x509.Name:
    # RS-002 as deployed: CN = node id as a BMPString, 66 characters (longer than X.520 allows).
    with warnings.catch_warnings():  # cryptography warns about the X.520 length; Awala ignores it
        warnings.simplefilter("ignore", UserWarning)
        attribute = x509.NameAttribute(NameOID.COMMON_NAME, node_id, _type=_ASN1Type.BMPString,
                                       _validate=False)
    return x509.Name([attribute])


def issue_certificate(
    subject_key: rsa.RSAPrivateKey,
    issuer_key: rsa.RSAPrivateKey | None = None,
    issuer_certificate: Certificate | None = None,
    *,
    is_ca: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    path_len: int | None = None,
) -> Certificate:
    """Return a certificate for `subject_key` signed by `issuer_key` (self-signed if None)."""
    signer = issuer_key or subject_key
    subject_spki = spki_der(subject_key)
    issuer_spki = spki_der(signer)
    if issuer_certificate is not None and node_id_from_spki(issuer_spki) != \
            issuer_certificate.node_id:
        raise ValueError("issuer_key does not match issuer_certificate")
    start = not_before or datetime.now(UTC).replace(  # noqa: TID251 - test/bench helper
        microsecond=0) - timedelta(hours=1)
    end = not_after or start + DEFAULT_VALIDITY
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(node_id_from_spki(subject_spki)))
        .issuer_name(_name(node_id_from_spki(issuer_spki)))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_len if is_ca else None),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier(hashlib.sha256(subject_spki).digest()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(hashlib.sha256(issuer_spki).digest(),
                                                   None, None), critical=False)
    )
    digest = hashes.SHA256()
    built = builder.sign(signer, digest, rsa_padding=pss_padding(digest))
    return Certificate.from_der(built.public_bytes(serialization.Encoding.DER))
