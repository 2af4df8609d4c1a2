"""CMS SignedData (RFC 5652) as RAMF uses it: attached content, one signer, RSA-PSS (RS-018).

One reader, cms_der.read_der, first in place (DER, the JS form, the BouncyCastle layout); if it
refuses or meets other BER, the whole value is normalised to DER and read again by it, and that
reading is the verdict: a refusal and its reason never depend on the encoding path taken.
Certificates and algorithm parameters are decoded with asn1crypto (both cached by encoding).
"""

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from courier.errors import ProtocolError
from courier.protocol.ber import NotDerError, Span, ber_to_der, encode_length
from courier.protocol.certificates import Certificate
from courier.protocol.cms_der import certificate_sid, message_digest, read_der
from courier.protocol.errors import InvalidSignatureError, MalformedMessageError
from courier.protocol.signatures import verify_pss
from courier.reasons import Reason

_HASH_FUNCTIONS = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_DIGESTS = {
    **{bytes.fromhex("300b" + oid): name for oid, name in (
        ("0609608648016503040201", "sha256"), ("0609608648016503040202", "sha384"),
        ("0609608648016503040203", "sha512"))},
    **{bytes.fromhex("300d" + oid + "0500"): name for oid, name in (
        ("0609608648016503040201", "sha256"), ("0609608648016503040202", "sha384"),
        ("0609608648016503040203", "sha512"))},
}


@dataclass(frozen=True)
class SignedContent:
    """The verified eContent, its signer's certificate and the other attached certificates."""

    econtent: Span
    signer: Certificate
    attached: tuple[bytes, ...]  # the other certificates' DER, parsed only when asked for

    @property
    def ca_certificates(self) -> tuple[Certificate, ...]:
        """Return the other attached certificates, parsed (raise MalformedMessageError)."""
        return tuple(Certificate.from_der(der) for der in self.attached)

    @property
    def content(self) -> bytes:
        """Return the eContent octets (a copy when they lie inside the message)."""
        return self.econtent.copy()


class _Signer(NamedTuple):
    """What the one SignerInfo says, before anything is verified."""

    certificate: Certificate
    digest_name: str
    message_digest: bytes
    signed_attrs_der: bytes
    signature: bytes
    signature_algorithm: bytes


def _malformed(message: str, reason: Reason = Reason.BAD_CMS) -> MalformedMessageError:
    return MalformedMessageError(f"CMS SignedData: {message}", reason)


def verify_signed_data(data: bytes, offset: int = 0) -> SignedContent:
    """Parse the BER/DER ContentInfo of a SignedData filling `data` from `offset`, verify it.

    The offset spares a copy of the RAMF body (up to 9 MiB) just to drop its 7-octet header.
    """
    content, certificates, signer = read_signed_data(data, offset)
    # The messageDigest attribute must equal the digest of the eContent octets.
    if _HASH_FUNCTIONS[signer.digest_name](content.view()).digest() != signer.message_digest:
        raise InvalidSignatureError("messageDigest does not match the content",
                                    Reason.BAD_SIGNATURE)
    # The signature covers the DER of the signed attributes re-tagged as a SET OF.
    verify_pss(signer.certificate.public_key, signer.signature, signer.signed_attrs_der,
               signer.signature_algorithm)
    others = tuple(der for der in certificates if der != signer.certificate.der)
    return SignedContent(content, signer.certificate, others)


def read_signed_data(data: bytes, offset: int = 0) -> tuple[Span, list[bytes], _Signer]:
    """Return (eContent, certificate DERs, signer) of the ContentInfo at `offset`, unverified."""
    try:
        return read_in_place(data, offset)
    except (NotDerError, ProtocolError):
        # In place is only a shortcut to acceptance: the normalised reading decides the rest.
        return read_normalised(data, offset)


def read_in_place(data: bytes, offset: int = 0) -> tuple[Span, list[bytes], _Signer]:
    """Read the ContentInfo where it lies; NotDerError if it is BER the reader cannot take."""
    content, certificates, issuer, serial, digest, attrs, algorithm, signature = read_der(
        data, offset)
    attrs_der = b"\x31" + encode_length(len(attrs)) + attrs
    sid = (issuer, int.from_bytes(serial, "big", signed=True))
    return content, certificates, _signer(certificates, sid, (digest, algorithm), attrs_der,
                                          signature)


def read_normalised(data: bytes, offset: int = 0) -> tuple[Span, list[bytes], _Signer]:
    """Normalise the whole ContentInfo to DER, then read it: the verdict and its reason."""
    try:
        return read_in_place(ber_to_der(data[offset:]), 0)
    except NotDerError:  # cannot happen on normalised input; refuse rather than loop
        raise _malformed("not normalisable to DER") from None


def _signer(certificates: list[bytes], sid: tuple[bytes, int],
            algorithms: tuple[bytes, bytes], attrs_der: bytes, signature: bytes) -> _Signer:
    """Find the signer's certificate, check the digest algorithm and signed attributes.

    `sid` is (issuer Name DER, serial number); `algorithms` the digest and signature
    AlgorithmIdentifier DERs.
    """
    digest_algorithm, signature_algorithm = algorithms
    if not certificates:
        raise _malformed("no certificates attached", Reason.NO_SIGNER_CERTIFICATE)
    certificate = _find_signer(certificates, sid)
    digest_name = _DIGESTS.get(digest_algorithm)
    if digest_name is None:
        raise InvalidSignatureError("digest algorithm must be SHA-256/384/512 (RS-018)",
                                    Reason.UNSUPPORTED_ALGORITHM)
    return _Signer(certificate, digest_name, message_digest(attrs_der), attrs_der, signature,
                   signature_algorithm)


def _find_signer(certificates: list[bytes], sid: tuple[bytes, int]) -> Certificate:
    """Return the parsed certificate `sid` (issuer DER, serial) names; only it is parsed."""
    for der in certificates:
        try:
            found = certificate_sid(der) == sid
        except NotDerError:  # an odd encoding: parse it to know (refused if unreadable)
            certificate = Certificate.from_der(der)
            found = (certificate.issuer_der, certificate.serial_number) == sid
        if found:
            return Certificate.from_der(der)
    raise _malformed("the signer's certificate is not attached", Reason.NO_SIGNER_CERTIFICATE)
