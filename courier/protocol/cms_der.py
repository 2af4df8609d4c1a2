"""The one CMS SignedData reader: DER, JS and JVM forms in place, one pass without lists.

The containers BouncyCastle writes with indefinite lengths (ContentInfo, its [0], SignedData,
encapContentInfo, its [0], eContent, the certificate set) may be indefinite here, and eContent
may be a constructed OCTET STRING (JS, JVM); every other part must be DER. The parts this reader
does not walk itself (signature algorithm, certificates, attributes, CRLs) go through
ber.check_der, with the normaliser's rules at their depth in the ContentInfo. Any other BER
raises NotDerError; courier.protocol.cms then normalises the whole value and reads it again here.
"""

from courier.protocol.ber import MAX_ELEMENTS, NotDerError, Span, check_der, read_string_span
from courier.protocol.certificates import CERTIFICATE_DEPTH, check_certificate_size, is_cached
from courier.protocol.errors import MalformedMessageError
from courier.reasons import Reason

_SIGNED_DATA_OID = bytes.fromhex("06092a864886f70d010702")
_DATA_OID = bytes.fromhex("06092a864886f70d010701")
_CONTENT_TYPE = bytes.fromhex("2a864886f70d010903")
_MESSAGE_DIGEST = bytes.fromhex("2a864886f70d010904")
_CONTENT_TYPE_ATTR = bytes.fromhex("301806092a864886f70d010903310b06092a864886f70d010701")
# The two attributes JS writes, as a SET OF header and a prefix before the digest octets.
_JS_ATTRS_PREFIXES = tuple(
    (size, bytes((0x31, len(_CONTENT_TYPE_ATTR) + size + 17)) + _CONTENT_TYPE_ATTR
     + bytes((0x30, size + 15, 0x06, 9)) + _MESSAGE_DIGEST + bytes((0x31, size + 2, 0x04, size)))
    for size in (32, 48, 64)
)
# The same without the SET OF header, by the length of the contents.
_JS_ATTRS_CONTENTS = {len(prefix) - 2 + size: prefix[2:] for size, prefix in _JS_ATTRS_PREFIXES}
# A messageDigest attribute with one value, up to the digest octets -> digest size.
_MD_ATTRS = {
    bytes((0x30, size + 15, 0x06, 9)) + _MESSAGE_DIGEST + bytes((0x31, size + 2, 0x04, size)): size
    for size in (32, 48, 64)
}
_MD_PREFIX_LENGTH = 17
# Depths in the ContentInfo (0) of the parts checked with check_der.
_SIGNED_DATA_FIELD, _SIGNER_INFO_FIELD = 3, 5
_ECONTENT = 5

# (econtent, certificate DERs, sid issuer DER, serial octets, digest AlgorithmIdentifier DER,
#  signed attributes contents, signature AlgorithmIdentifier DER, signature)
DerParts = tuple[Span, list[bytes], bytes, bytes, bytes, bytes, bytes, bytes]


def _header(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Return (content start, content end) of the DER element of identifier `tag` at `pos`."""
    if pos + 2 > end or data[pos] != tag:
        raise MalformedMessageError("CMS SignedData: unexpected structure", Reason.BAD_STRUCTURE)
    octet = data[pos + 1]
    if octet < 0x80:
        start, length = pos + 2, octet
    elif octet == 0x81 and pos + 3 <= end and data[pos + 2] >= 0x80:
        start, length = pos + 3, data[pos + 2]
    elif octet == 0x82 and pos + 4 <= end and data[pos + 2]:
        start, length = pos + 4, data[pos + 2] << 8 | data[pos + 3]
    elif octet == 0x83 and pos + 5 <= end and data[pos + 2]:
        start, length = pos + 5, int.from_bytes(data[pos + 2:pos + 5], "big")
    else:
        raise NotDerError
    if start + length > end:
        raise MalformedMessageError("CMS SignedData: length exceeds the octets left",
                                    Reason.TRUNCATED)
    return start, start + length


def _bad(message: str, reason: Reason = Reason.BAD_STRUCTURE) -> MalformedMessageError:
    return MalformedMessageError(f"CMS SignedData: {message}", reason)


def _open(data: bytes, pos: int, end: int, tag: int) -> tuple[int, int]:
    """Return (content start, content end or -1 if indefinite) of a container at `pos`."""
    if pos + 2 <= end and data[pos] == tag and data[pos + 1] == 0x80:
        return pos + 2, -1
    return _header(data, pos, end, tag)


def _close(data: bytes, pos: int, stop: int, limit: int) -> int:
    """Return the position after a container whose children ended at `pos`."""
    if stop >= 0:
        if pos != stop:
            raise _bad("unexpected octets at the end of a value")
        return stop
    if pos + 2 > limit or data[pos] or data[pos + 1]:
        raise _bad("missing end-of-contents", Reason.TRUNCATED)
    return pos + 2


def read_der(data: bytes, offset: int = 0) -> DerParts:
    """Split a ContentInfo/SignedData at `offset` into the parts to verify."""
    end = len(data)
    info_start, info_stop = _open(data, offset, end, 0x30)
    info_limit = end if info_stop < 0 else info_stop
    if not data.startswith(_SIGNED_DATA_OID, info_start):
        raise _bad("ContentInfo is not SignedData", Reason.BAD_CMS)
    explicit_start, explicit_stop = _open(data, info_start + len(_SIGNED_DATA_OID), info_limit,
                                          0xA0)
    explicit_limit = info_limit if explicit_stop < 0 else explicit_stop
    start, sd_stop = _open(data, explicit_start, explicit_limit, 0x30)
    sd_end = explicit_limit if sd_stop < 0 else sd_stop
    _, pos = _header(data, start, sd_end, 0x02)            # version
    _, after = _header(data, pos, sd_end, 0x31)            # digestAlgorithms
    check_der(data[pos:after], _SIGNED_DATA_FIELD)
    content, pos, elements, octets = _encapsulated(data, after, sd_end)
    # Every element outside eContent has at least 2 octets of header: past this bound the
    # normaliser may count more than MAX_ELEMENTS, so let it decide.
    if elements + (end - offset - octets) // 2 > MAX_ELEMENTS:
        raise NotDerError
    certificates: list[bytes] = []
    if pos < sd_end and data[pos] == 0xA0:
        cursor, certs_stop = _open(data, pos, sd_end, 0xA0)
        certs_end = sd_end if certs_stop < 0 else certs_stop
        while cursor < certs_end and data[cursor] == 0x30:
            _, after = _header(data, cursor, certs_end, 0x30)
            check_certificate_size(after - cursor)  # before the copy
            certificate = data[cursor:after]
            if not is_cached(certificate):  # a cached certificate passed check_der at this depth
                check_der(certificate, CERTIFICATE_DEPTH)
            certificates.append(certificate)
            cursor = after
        pos = _close(data, cursor, certs_stop, certs_end)
    if pos < sd_end and data[pos] == 0xA1:                 # crls: ignored
        _, after = _header(data, pos, sd_end, 0xA1)
        check_der(data[pos:after], _SIGNED_DATA_FIELD)
        pos = after
    infos_start, infos_end = _header(data, pos, sd_end, 0x31)
    pos = _close(data, infos_end, sd_stop, sd_end)
    pos = _close(data, pos, explicit_stop, explicit_limit)
    if _close(data, pos, info_stop, info_limit) != end:
        raise _bad("octets after the ContentInfo", Reason.TRAILING_DATA)
    info_start, info_end = _header(data, infos_start, infos_end, 0x30)
    if info_end != infos_end:
        raise _bad("expected exactly one SignerInfo", Reason.BAD_CMS)
    return (content, certificates, *_signer_info(data, info_start, info_end))


def _encapsulated(data: bytes, pos: int, end: int) -> tuple[Span, int, int, int]:
    """Return (eContent, position after encapContentInfo, eContent elements and octets)."""
    start, stop = _open(data, pos, end, 0x30)
    limit = end if stop < 0 else stop
    if not data.startswith(_DATA_OID, start):
        raise _bad("eContentType must be id-data", Reason.BAD_CMS)
    pos = start + len(_DATA_OID)
    if pos >= limit or data[pos] != 0xA0:
        raise _bad("content is detached; RAMF requires it attached", Reason.BAD_CMS)
    explicit_start, explicit_stop = _open(data, pos, limit, 0xA0)
    explicit_limit = limit if explicit_stop < 0 else explicit_stop
    # JS (pkijs) writes eContent as a constructed OCTET STRING of 64 KiB chunks, the JVM as an
    # indefinite one of 1000-octet chunks.
    octets, after, elements = read_string_span(data, explicit_start, explicit_limit, 0x04,
                                                _ECONTENT)
    size = after - explicit_start
    after = _close(data, after, explicit_stop, explicit_limit)
    return octets, _close(data, after, stop, limit), elements, size


def _signer_info(data: bytes, start: int, end: int) -> tuple[bytes, bytes, bytes, bytes, bytes,
                                                             bytes]:
    _, pos = _header(data, start, end, 0x02)               # version
    sid_start, sid_end = _header(data, pos, end, 0x30)     # issuerAndSerialNumber only
    # Neither the issuer Name nor the digest AlgorithmIdentifier needs check_der: the issuer must
    # equal the octets of a checked certificate's, the digest algorithm one of cms._DIGESTS.
    _, issuer_end = _header(data, sid_start, sid_end, 0x30)
    serial_start, serial_end = _header(data, issuer_end, sid_end, 0x02)
    if serial_end != sid_end:
        raise _bad("bad issuerAndSerialNumber")
    digest_start = sid_end
    _, pos = _header(data, digest_start, end, 0x30)
    digest_end = pos
    if pos < end and data[pos] != 0xA0:
        raise _bad("signed attributes are required", Reason.NO_SIGNED_ATTRIBUTES)
    attrs_start, attrs_end = _header(data, pos, end, 0xA0)
    if not _is_js_attributes(data[attrs_start:attrs_end]):
        check_der(data[pos:attrs_end], _SIGNER_INFO_FIELD)
    _, algorithm_end = _header(data, attrs_end, end, 0x30)
    check_der(data[attrs_end:algorithm_end], _SIGNER_INFO_FIELD)
    signature_start, signature_end = _header(data, algorithm_end, end, 0x04)
    if signature_end != end:                               # unsignedAttrs [1]: ignored
        _, after = _header(data, signature_end, end, 0xA1)
        if after != end:
            raise _bad("unexpected field after the signature")
        check_der(data[signature_end:after], _SIGNER_INFO_FIELD)
    return (data[sid_start:issuer_end], data[serial_start:serial_end],
            data[digest_start:digest_end], data[attrs_start:attrs_end],
            data[attrs_end:algorithm_end], data[signature_start:signature_end])


def certificate_sid(der: bytes) -> tuple[bytes, int]:
    """Return (issuer Name DER, serial number) of a DER certificate, read without parsing it.

    Finds the signer among attached certificates without parsing the others (RFC 5280 4.1).
    """
    start, end = _header(der, 0, len(der), 0x30)
    pos, tbs_end = _header(der, start, end, 0x30)
    if pos < tbs_end and der[pos] == 0xA0:                 # [0] version
        _, pos = _header(der, pos, tbs_end, 0xA0)
    serial_start, serial_end = _header(der, pos, tbs_end, 0x02)
    _, issuer = _header(der, serial_end, tbs_end, 0x30)    # signature AlgorithmIdentifier
    _, issuer_end = _header(der, issuer, tbs_end, 0x30)
    return der[issuer:issuer_end], int.from_bytes(der[serial_start:serial_end], "big", signed=True)


def _is_js_attributes(contents: bytes) -> bool:
    """Tell whether signed attributes' contents are exactly what JS writes (hence DER)."""
    prefix = _JS_ATTRS_CONTENTS.get(len(contents))
    return prefix is not None and contents.startswith(prefix)


def message_digest(attrs_der: bytes) -> bytes:
    """Check contentType = id-data and return the one messageDigest value (RFC 5652 11).

    `attrs_der` is the DER SET OF signed attributes; other attributes (the JVM's signingTime
    and CMSAlgorithmProtection) are allowed and not interpreted.
    """
    for size, prefix in _JS_ATTRS_PREFIXES:  # fast path: exactly what JS writes
        if len(attrs_der) == len(prefix) + size and attrs_der.startswith(prefix):
            return attrs_der[len(prefix):]
    pos, end = _header(attrs_der, 0, len(attrs_der), 0x31)
    if end != len(attrs_der):
        raise _bad("octets after the signed attributes")
    seen: set[bytes] = set()
    digest = None
    while pos < end:
        start, after = _header(attrs_der, pos, end, 0x30)
        kind, value = _attribute(attrs_der, pos, start, after)
        if kind in seen:
            raise _bad("a signed attribute appears twice", Reason.BAD_CMS)
        seen.add(kind)
        digest = value if value is not None else digest
        pos = after
    if _CONTENT_TYPE not in seen or digest is None:
        raise _bad("contentType and messageDigest attributes are required",
                   Reason.NO_SIGNED_ATTRIBUTES)
    return digest


def _attribute(attrs_der: bytes, pos: int, start: int, stop: int) -> tuple[bytes, bytes | None]:
    """Return (type OID, messageDigest value or None) of the Attribute at `pos`, checked."""
    attribute = attrs_der[pos:stop]
    # Exact encodings of the single-valued messageDigest and contentType skip the parse.
    size = _MD_ATTRS.get(attribute[:_MD_PREFIX_LENGTH], 0)
    if size and len(attribute) == _MD_PREFIX_LENGTH + size:
        return _MESSAGE_DIGEST, attribute[_MD_PREFIX_LENGTH:]
    if attribute == _CONTENT_TYPE_ATTR:
        return _CONTENT_TYPE, None
    oid_start, oid_end = _header(attrs_der, start, stop, 0x06)
    values_start, values_end = _header(attrs_der, oid_end, stop, 0x31)
    kind = attrs_der[oid_start:oid_end]
    if values_end != stop:
        raise _bad("malformed signed attribute", Reason.BAD_CMS)
    if kind == _CONTENT_TYPE:
        if attrs_der[values_start:values_end] != _DATA_OID:
            raise _bad("contentType attribute must be one id-data", Reason.BAD_CMS)
    elif kind == _MESSAGE_DIGEST:
        value_start, value_end = _header(attrs_der, values_start, values_end, 0x04)
        if value_end != values_end:
            raise _bad("messageDigest attribute must have one value", Reason.BAD_CMS)
        return kind, attrs_der[value_start:value_end]
    return kind, None
