"""Test and benchmark serialiser: RAMF messages in DER, JS-style BER or JVM-style BER.

It checks no limit on purpose, so tests can build oversize or invalid messages.
"""

import hashlib
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Literal

from asn1crypto import algos, core
from cryptography.hazmat.primitives.asymmetric import rsa

from courier.protocol.ber import encode_length, read_header
from courier.protocol.certificates import Certificate
from courier.protocol.ramf import FORMAT_SIGNATURE, MESSAGE_VERSION, MessageType, Recipient
from courier.protocol.signatures import hash_for
from courier.testing.issuing import pss_padding

Encoding = Literal["der", "js", "jvm"]
JS_CHUNK = 65_536   # pkijs splits eContent into 64 KiB constructed chunks
JVM_CHUNK = 1_000   # BouncyCastle's BEROctetString default chunk size
DEFAULT_TTL = 86_400


def tlv(tag: int, *parts: bytes) -> bytes:
    """Return a DER element of identifier `tag` around the concatenated `parts`."""
    content = b"".join(parts)
    return bytes((tag,)) + encode_length(len(content)) + content


def _cons(tag: int, parts: Iterable[bytes], indefinite: bool) -> bytes:
    if indefinite:  # X.690 8.1.3.6: 0x80 length, contents, end-of-contents
        return bytes((tag,)) + b"\x80" + b"".join(parts) + b"\x00\x00"
    return tlv(tag, *parts)


def to_indefinite(der: bytes) -> bytes:
    """Re-encode every constructed element of DER values with indefinite lengths (BER)."""
    out = []
    pos = 0
    while pos < len(der):
        start, length, _, _ = read_header(der, pos, len(der))
        tag = der[pos]
        if tag & 0x20:
            out.append(_cons(tag, [to_indefinite(der[start:start + length])], True))
        else:
            out.append(der[pos:start + length])
        pos = start + length
    return b"".join(out)


def encode_field_set(recipient: Recipient, message_id: str, creation_date: datetime, ttl: int,
                     payload: bytes) -> bytes:
    """Return the DER field set of RS-001: a SEQUENCE of IMPLICIT [0]..[4] elements."""
    recipient_parts = [tlv(0x80, recipient.id.encode("ascii"))]
    if recipient.internet_address is not None:
        recipient_parts.append(tlv(0x81, recipient.internet_address.encode("ascii")))
    date = creation_date.astimezone(UTC).strftime("%Y%m%d%H%M%S").encode("ascii")
    ttl_octets = ttl.to_bytes(ttl.bit_length() // 8 + 1, "big", signed=True)
    return tlv(0x30, tlv(0xA0, *recipient_parts), tlv(0x81, message_id.encode("ascii")),
               tlv(0x82, date), tlv(0x83, ttl_octets), tlv(0x84, payload))


def _signed_attributes(content: bytes, hash_name: str, encoding: Encoding, *,
                       digest_algorithm: bytes, signature_algorithm: bytes,
                       creation_date: datetime) -> bytes:
    digest = hashlib.new(hash_name, content).digest()
    attributes = [
        tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.9.3").dump(),
            tlv(0x31, core.ObjectIdentifier("1.2.840.113549.1.7.1").dump())),
        tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.9.4").dump(),
            tlv(0x31, core.OctetString(digest).dump())),
    ]
    if encoding == "jvm":  # BouncyCastle adds signingTime and CMSAlgorithmProtection (RFC 6211)
        attributes.append(tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.9.5").dump(),
                              tlv(0x31, core.UTCTime(creation_date.astimezone(UTC)).dump())))
        protection = tlv(0x30, digest_algorithm, b"\xa1" + signature_algorithm[1:])
        attributes.append(tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.9.52").dump(),
                              tlv(0x31, protection)))
    return tlv(0x31, *sorted(attributes))  # DER SET OF: sorted encodings (X.690 11.6)


def sign_content(content: bytes, *, sender_key: rsa.RSAPrivateKey,
                 sender_certificate: Certificate, ca_certificates: Iterable[Certificate] = (),
                 hash_name: str = "sha256", encoding: Encoding = "der",
                 signing_time: datetime | None = None,
                 indefinite_everywhere: bool = False) -> bytes:
    """Return a CMS ContentInfo/SignedData with `content` attached, signed with RSA-PSS."""
    digest = hash_for(hash_name)
    jvm = encoding == "jvm"
    # JS writes a NULL parameter in the digest AlgorithmIdentifier, BouncyCastle none.
    digest_algorithm = algos.DigestAlgorithm(
        {"algorithm": hash_name, "parameters": None if jvm else core.Null()}).dump()
    hash_id = {"algorithm": hash_name}
    signature_algorithm = algos.SignedDigestAlgorithm({
        "algorithm": "rsassa_pss",
        "parameters": algos.RSASSAPSSParams({
            "hash_algorithm": hash_id,
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": hash_id},
            "salt_length": digest.digest_size,
        }),
    }).dump()
    attrs = _signed_attributes(content, hash_name, encoding, digest_algorithm=digest_algorithm,
                               signature_algorithm=signature_algorithm,
                               creation_date=signing_time or datetime.now(UTC))  # noqa: TID251
    signature = sender_key.sign(attrs, pss_padding(digest), digest)
    # BouncyCastle writes ContentInfo, SignedData, the certificate set and the encapsulated
    # content as BER (indefinite); digestAlgorithms and signerInfos are DER sets. `everywhere`
    # makes every container indefinite, for tests of the reader.
    everywhere = jvm and indefinite_everywhere
    wrap = to_indefinite if everywhere else (lambda der: der)
    sid = tlv(0x30, sender_certificate.issuer_der,
              core.Integer(sender_certificate.serial_number).dump())
    signer_info = _cons(0x30, [core.Integer(1).dump(), wrap(sid), wrap(digest_algorithm),
                               b"\xa0" + attrs[1:], wrap(signature_algorithm),
                               core.OctetString(signature).dump()], everywhere)
    certificates = [c.der for c in (sender_certificate, *ca_certificates)]
    signed_data = _cons(0x30, [
        core.Integer(1).dump(),
        _cons(0x31, [wrap(digest_algorithm)], everywhere),
        _cons(0x30, [core.ObjectIdentifier("1.2.840.113549.1.7.1").dump(),
                     _cons(0xA0, [_econtent(content, encoding)], jvm)], jvm),
        _cons(0xA0, certificates, jvm),
        _cons(0x31, [signer_info], everywhere),
    ], jvm)
    return _cons(0x30, [core.ObjectIdentifier("1.2.840.113549.1.7.2").dump(),
                        _cons(0xA0, [signed_data], jvm)], jvm)


def _econtent(content: bytes, encoding: Encoding) -> bytes:
    if encoding == "der":
        return tlv(0x04, content)
    size = JS_CHUNK if encoding == "js" else JVM_CHUNK
    chunks = [tlv(0x04, content[i:i + size]) for i in range(0, len(content), size)]
    return _cons(0x24, chunks or [tlv(0x04, b"")], encoding == "jvm")


def serialize_message(
    message_type: MessageType,
    recipient: Recipient,
    payload: bytes,
    *,
    sender_key: rsa.RSAPrivateKey,
    sender_certificate: Certificate,
    ca_certificates: Iterable[Certificate] = (),
    message_id: str | None = None,
    creation_date: datetime | None = None,
    ttl: int = DEFAULT_TTL,
    hash_name: str = "sha256",
    encoding: Encoding = "der",
) -> bytes:
    """Return a signed RAMF message ("Awala" + type + version + CMS SignedData)."""
    created = creation_date or datetime.now(UTC).replace(microsecond=0)  # noqa: TID251
    fields = encode_field_set(recipient, message_id or str(uuid.uuid4()), created, ttl, payload)
    signed = sign_content(fields, sender_key=sender_key, sender_certificate=sender_certificate,
                          ca_certificates=ca_certificates, hash_name=hash_name,
                          encoding=encoding, signing_time=created)
    return FORMAT_SIGNATURE + bytes((int(message_type), MESSAGE_VERSION)) + signed
