"""CMS SignedData (RFC 5652) as RAMF uses it: attached content, one signer, RSA-PSS (RS-018).

Three readers, fastest first: cms_der (DER, the JS form, the BouncyCastle layout), then any
indefinite-length BER read in place by a BerReader, then, for non-minimal lengths, normalisation
to DER and a re-read. Certificates and algorithm parameters are decoded with asn1crypto (both
cached by encoding).
"""

import hashlib
from dataclasses import dataclass
from typing import NamedTuple

from courier.protocol.ber import Span, ber_to_der, encode_length
from courier.protocol.ber_reader import BerReader, Element, NotDerError
from courier.protocol.certificates import KNOWN_DER, Certificate, check_certificate_size
from courier.protocol.cms_der import certificate_sid, message_digest, read_der
from courier.protocol.errors import InvalidSignatureError, MalformedMessageError
from courier.protocol.signatures import verify_pss
from courier.reasons import Reason

_OID = 0x06
_SEQUENCE, _SET, _INTEGER, _OCTETS = 0x30, 0x31, 0x02, 0x04
_CTX0, _CTX1 = 0xA0, 0xA1
_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")
_DATA = bytes.fromhex("2a864886f70d010701")
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
    try:
        content, certificates, signer = _read_fast(data, offset)
    except NotDerError:
        try:
            content, certificates, signer = _read(data, offset)
        except NotDerError:  # a non-minimal length somewhere: normalise everything first
            try:
                content, certificates, signer = _read(ber_to_der(data[offset:], KNOWN_DER), 0)
            except NotDerError:  # cannot happen on normalised input; refuse rather than loop
                raise _malformed("not normalisable to DER") from None
    # The messageDigest attribute must equal the digest of the eContent octets.
    if _HASH_FUNCTIONS[signer.digest_name](content.view()).digest() != signer.message_digest:
        raise InvalidSignatureError("messageDigest does not match the content",
                                    Reason.BAD_SIGNATURE)
    # The signature covers the DER of the signed attributes re-tagged as a SET OF.
    verify_pss(signer.certificate.public_key, signer.signature, signer.signed_attrs_der,
               signer.signature_algorithm)
    others = tuple(der for der in certificates if der != signer.certificate.der)
    return SignedContent(content, signer.certificate, others)


def _read_fast(data: bytes, offset: int) -> tuple[Span, list[bytes], _Signer]:
    content, certificates, issuer, serial, digest, attrs, algorithm, signature = read_der(
        data, offset)
    attrs_der = b"\x31" + encode_length(len(attrs)) + attrs
    sid = (issuer, int.from_bytes(serial, "big", signed=True))
    return content, certificates, _signer(certificates, sid, (digest, algorithm), attrs_der,
                                          signature)


def _read(data: bytes, offset: int) -> tuple[Span, list[bytes], _Signer]:
    """Read any BER form in place (the JVM's indefinite lengths, JS constructed strings)."""
    reader = BerReader(data)
    top = reader.element(offset, len(data))
    if top[4] != len(data):
        raise _malformed("octets after the ContentInfo", Reason.TRAILING_DATA)
    if top[0] != _SEQUENCE:
        raise _malformed("ContentInfo is not a SEQUENCE", Reason.BAD_STRUCTURE)
    oid, explicit = reader.children(top, _OID, _CTX0)
    if data[oid[2]:oid[3]] != _SIGNED_DATA:
        raise _malformed("ContentInfo is not SignedData")
    (signed_data,) = reader.children(explicit, _SEQUENCE)
    parts = reader.children(signed_data)
    tags = [p[0] for p in parts]
    if tags[:3] != [_INTEGER, _SET, _SEQUENCE] or tags[-1] != _SET or \
            not all(t in (_CTX0, _CTX1) for t in tags[3:-1]):
        raise _malformed("SignedData fields out of order", Reason.BAD_STRUCTURE)
    content = _econtent(reader, parts[2])
    cert_sets = [p for p in parts[3:-1] if p[0] == _CTX0]
    certificates = []
    for choice in reader.children(cert_sets[0]) if cert_sets else []:
        if choice[0] != _SEQUENCE:
            raise _malformed("only X.509 certificates are supported", Reason.BAD_STRUCTURE)
        check_certificate_size(choice[4] - choice[1])  # before the copy
        certificates.append(reader.whole(choice))
    signer_infos = reader.children(parts[-1])
    if len(signer_infos) != 1 or signer_infos[0][0] != _SEQUENCE:
        raise _malformed(f"expected exactly one SignerInfo, got {len(signer_infos)}")
    return content, certificates, _read_signer(reader, signer_infos[0], certificates)


def _econtent(reader: BerReader, encapsulated: Element) -> Span:
    data = reader.data
    fields = reader.children(encapsulated)
    if not fields or fields[0][0] != _OID or data[fields[0][2]:fields[0][3]] != _DATA:
        raise _malformed("eContentType must be id-data")
    if len(fields) != 2 or fields[1][0] != _CTX0:
        raise _malformed("content is detached; RAMF requires it attached")
    explicit = fields[1]
    inner = reader.children(explicit, what="eContent")
    if len(inner) != 1:
        raise _malformed("eContent must be one OCTET STRING", Reason.BAD_STRUCTURE)
    return reader.string_span(inner[0], _OCTETS)


def _read_signer(reader: BerReader, signer_info: Element,
                 certificates: list[bytes]) -> _Signer:
    fields = reader.children(signer_info)
    tags = tuple(f[0] for f in fields)
    if tags[:5] != (_INTEGER, _SEQUENCE, _SEQUENCE, _CTX0, _SEQUENCE) or \
            len(tags) < 6 or tags[5] & 0xDF != _OCTETS:
        raise _malformed("SignerInfo needs signed attributes and fields in order",
                         Reason.NO_SIGNED_ATTRIBUTES if _CTX0 not in tags
                         else Reason.BAD_STRUCTURE)
    _, sid_element, digest_algorithm, attrs, signature_algorithm, signature = fields[:6]
    issuer, serial = reader.children(sid_element, _SEQUENCE, _INTEGER)
    data = reader.data
    sid = (reader.whole(issuer), int.from_bytes(data[serial[2]:serial[3]], "big", signed=True))
    algorithms = (reader.whole(digest_algorithm), reader.whole(signature_algorithm))
    return _signer(certificates, sid, algorithms, b"\x31" + reader.whole(attrs)[1:],
                   reader.string(signature, _OCTETS))


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
