"""The CMS and RAMF reading paths side by side on mutations of real messages.

A value is read in place when it can be, else (or when that refuses) from its DER
normalisation. These tests hold the paths to one verdict and one Reason on every input: the
in-place reading, when it accepts, yields exactly the parts of the normalised reading, and a
message gets the verdict of its own DER normalisation (or, if it has none, the normaliser's
refusal). Hypothesis is derandomized: the examples are the same on every run.
"""

from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.errors import ProtocolError
from courier.protocol.ber import (
    MAX_DEPTH,
    MAX_ELEMENTS,
    Span,
    ber_to_der,
    encode_length,
    read_header,
)
from courier.protocol.certificates import Certificate, is_cached
from courier.protocol.cms import read_in_place
from courier.protocol.errors import MalformedMessageError
from courier.protocol.ramf import (
    HEADER_LENGTH,
    Recipient,
    parse_field_set,
    parse_message,
    read_field_set_normalised,
)
from courier.reasons import Reason
from courier.testing.serialise import (
    Encoding,
    encode_field_set,
    sign_content,
    tlv,
    to_indefinite,
)
from tests.protocol.conftest import NOW, MessageFactory, Pki
from tests.protocol.differential import (
    Outcome,
    check_cms_paths_agree,
    check_same_verdict_as_der,
    mutations,
    non_minimal,
    outcome,
    verified,
)

_SIGNED_DATA = [1, 0]  # paths of children indices: ContentInfo > [0] > SignedData
_SIGNER_INFO = [*_SIGNED_DATA, -1, 0]  # > signerInfos > the SignerInfo
_OID = bytes.fromhex("06032a0304")
DIFFERENTIAL = settings(max_examples=400, derandomize=True, database=None, deadline=None)


@pytest.fixture(scope="module")
def vectors(pki: Pki) -> dict[str, bytes]:
    """ContentInfos in every form the readers take: DER, JS, JVM, and BER variants of them."""
    fields = encode_field_set(Recipient(pki.gateway_cert.node_id, "gateway.example"),
                              "a1b2c3d4", NOW - timedelta(minutes=5), 3600, b"parcel" * 40)
    found = {}
    forms: tuple[tuple[str, Encoding, bool], ...] = (
        ("der", "der", False), ("js", "js", False), ("jvm", "jvm", False),
        ("jvm-everywhere", "jvm", True))
    for name, encoding, everywhere in forms:
        found[name] = sign_content(
            fields, sender_key=pki.private_key, sender_certificate=pki.private_cert,
            ca_certificates=[pki.gateway_cert], encoding=encoding, signing_time=NOW,
            indefinite_everywhere=everywhere)
    found["non-minimal"] = non_minimal(found["der"])
    found["indefinite"] = to_indefinite(found["der"])
    # CRLs and unsigned attributes: allowed, ignored, and never written by Awala.
    crls = tlv(0xA1, tlv(0x30, tlv(0x02, b"\x01"), tlv(0x30, _OID, tlv(0x05, b""))))
    unsigned = tlv(0xA1, tlv(0x30, _OID, tlv(0x31, tlv(0x30, tlv(0x02, b"\x05"),
                                                       tlv(0x04, b"abc")))))
    extras = _edit(found["der"], _SIGNED_DATA, lambda c: [*c[:-1], crls, c[-1]])
    found["extras"] = _edit(extras, _SIGNER_INFO, lambda c: [*c, unsigned])
    return found


FORMS = ["der", "js", "jvm", "jvm-everywhere", "non-minimal", "indefinite", "extras"]


@pytest.mark.parametrize("form", FORMS)
def test_every_form_of_a_real_message_is_read_alike(vectors: dict[str, bytes], form: str) -> None:
    verdict = check_cms_paths_agree(vectors[form])
    assert verdict[0] == "read"
    # content, certificates, signer (signatures differ: RSA-PSS is salted)
    assert verdict[1:4] == check_cms_paths_agree(vectors["der"])[1:4]
    assert verified(vectors[form])[0] == "accepted"


@pytest.mark.parametrize("form", FORMS)
@DIFFERENTIAL
@given(data=st.data())
def test_the_cms_paths_agree_on_mutations(vectors: dict[str, bytes], form: str,
                                          data: st.DataObject) -> None:
    mutated = data.draw(mutations(vectors[form]))
    check_cms_paths_agree(mutated)
    check_same_verdict_as_der(mutated)


@pytest.mark.parametrize(("form", "mask"), [
    ("der", 0x01), ("der", 0x20), ("der", 0x80), ("der", 0xFF),
    ("jvm", 0x01), ("jvm", 0xFF), ("extras", 0x01), ("extras", 0xFF)])
def test_the_cms_paths_agree_on_every_flipped_octet(vectors: dict[str, bytes], form: str,
                                                    mask: int) -> None:
    cms = vectors[form]
    for at in range(len(cms)):
        check_cms_paths_agree(cms[:at] + bytes((cms[at] ^ mask,)) + cms[at + 1:])


def _nested(levels: int) -> bytes:
    value = tlv(0x05, b"")
    for _ in range(levels):
        value = tlv(0x30, value)
    return value


def _chunked(levels: int, children: list[bytes]) -> list[bytes]:
    """Wrap the eContent OCTET STRING in `levels` constructed OCTET STRINGs (BER, same value)."""
    value = children[0]
    for _ in range(levels):
        value = tlv(0x24, value)
    return [value]


@pytest.mark.parametrize("where", ["certificate", "crls", "unsigned attributes", "eContent"])
def test_nesting_is_bounded_from_the_top_of_the_content_info(vectors: dict[str, bytes],
                                                             where: str) -> None:
    edits: dict[str, tuple[list[int], Callable[[list[bytes], bytes], list[bytes]]]] = {
        "certificate": ([*_SIGNED_DATA, 3], lambda c, value: [*c, value]),
        "crls": (_SIGNED_DATA, lambda c, value: [*c[:-1], tlv(0xA1, value), c[-1]]),
        "unsigned attributes": (_SIGNER_INFO, lambda c, value: [*c, tlv(0xA1, value)]),
    }
    seen = set()
    for levels in range(MAX_DEPTH - 8, MAX_DEPTH - 2):
        if where == "eContent":  # SignedData > encapContentInfo > [0]
            cms = _edit(vectors["der"], [*_SIGNED_DATA, 2, 1], partial(_chunked, levels))
        else:
            path, edit = edits[where]
            cms = _edit(vectors["der"], path, partial(_insert, edit, _nested(levels)))
        verdict = check_cms_paths_agree(cms)
        check_same_verdict_as_der(cms)
        seen.add(verdict[0] if verdict[0] == "read" else verdict[2])
    assert seen == {"read", Reason.TOO_DEEP}


def _insert(edit: Callable[[list[bytes], bytes], list[bytes]], value: bytes,
            children: list[bytes]) -> list[bytes]:
    return edit(children, value)


def test_a_certificate_is_cached_only_in_der(pki: Pki, vectors: dict[str, bytes]) -> None:
    # asn1crypto alone takes a non-minimal outer length; the cache must hold DER only.
    der = pki.gateway_cert.der
    start, length, _, _ = read_header(der, 0, len(der))
    widened = b"\x30\x83\x00" + length.to_bytes(2, "big") + der[start:]
    with pytest.raises(MalformedMessageError) as refused:
        Certificate.from_der(widened)
    assert refused.value.reason is Reason.BAD_CERTIFICATE
    assert not is_cached(widened)
    # A ContentInfo carrying its signer's certificate in BER is read from its normalisation.
    cms = _edit(vectors["der"], [*_SIGNED_DATA, 3], lambda c: [non_minimal(c[0]), *c[1:]])
    assert outcome(lambda d: read_in_place(d, 0), cms) == ("defers",)
    assert check_cms_paths_agree(cms)[1:4] == check_cms_paths_agree(vectors["der"])[1:4]
    assert verified(cms)[0] == "accepted"


def _field_set_outcome(read: Callable[[Span], object], data: bytes) -> Outcome:
    try:
        return ("read", read(Span.whole(data)))
    except ProtocolError as error:
        return ("refused", type(error).__name__, error.reason)


def _field_set(pki: Pki) -> bytes:
    return encode_field_set(Recipient(pki.gateway_cert.node_id, "gateway.example"), "id-1",
                            NOW, 3600, b"payload")


@pytest.mark.parametrize("form", ["der", "indefinite", "non-minimal"])
@DIFFERENTIAL
@given(data=st.data())
def test_the_ramf_field_set_paths_agree_on_mutations(pki: Pki, form: str,
                                                     data: st.DataObject) -> None:
    der = _field_set(pki)
    encoded = {"der": der, "indefinite": to_indefinite(der), "non-minimal": non_minimal(der)}
    mutated = data.draw(mutations(encoded[form]))
    verdict = _field_set_outcome(read_field_set_normalised, mutated)
    found = _field_set_outcome(parse_field_set, mutated)
    if verdict[0] == "read":  # payload views differ in what they view, not in their octets
        assert found[0] == "read"
        assert isinstance(found[1], tuple) and isinstance(verdict[1], tuple)
        assert found[1][:4] == verdict[1][:4] and bytes(found[1][4]) == bytes(verdict[1][4])
    else:
        assert found == verdict


def test_every_form_of_a_real_field_set_is_read_alike(pki: Pki) -> None:
    der = _field_set(pki)
    expected = parse_field_set(Span.whole(der))
    for form in (to_indefinite(der), non_minimal(der)):
        found = parse_field_set(Span.whole(form))
        assert found[:4] == expected[:4] and bytes(found[4]) == b"payload"


def test_a_cms_over_the_element_bound_only_in_all_is_refused(vectors: dict[str, bytes]) -> None:
    # Unsigned attributes and CRLs, neither signed, each under MAX_ELEMENTS but over it
    # together: the in-place reading must not accept what the normaliser refuses.
    nulls = b"\x05\x00" * (MAX_ELEMENTS * 3 // 5)
    unsigned = b"\xa1" + encode_length(len(nulls)) + nulls
    crls = b"\xa1" + encode_length(len(nulls)) + nulls
    cms = _edit(vectors["der"], _SIGNER_INFO, lambda children: [*children, unsigned])
    cms = _edit(cms, _SIGNED_DATA, lambda children: [*children[:-1], crls, children[-1]])
    assert verified(cms) == ("refused", "MalformedMessageError", Reason.BAD_ENCODING)
    check_cms_paths_agree(cms)
    check_same_verdict_as_der(cms)
    # Either part alone is read, and the message accepted.
    for alone in (_edit(vectors["der"], _SIGNER_INFO, lambda children: [*children, unsigned]),
                  _edit(vectors["der"], _SIGNED_DATA, lambda c: [*c[:-1], crls, c[-1]])):
        assert verified(alone)[0] == "accepted"
        assert check_cms_paths_agree(alone)[0] == "read"


def _edit(der: bytes, path: list[int], edit: Callable[[list[bytes]], list[bytes]]) -> bytes:
    """Return DER `der` with the children of the element at `path` replaced by edit(children)."""
    start, length, ident_end, _ = read_header(der, 0, len(der))
    content = der[start:start + length]
    children, pos = [], 0
    while pos < len(content):
        child_start, child_length, _, _ = read_header(content, pos, len(content))
        children.append(content[pos:child_start + child_length])
        pos = child_start + child_length
    if path:
        children[path[0]] = _edit(children[path[0]], path[1:], edit)
    else:
        children = edit(children)
    content = b"".join(children)
    return der[:ident_end] + encode_length(len(content)) + content


def _parsed(message: bytes) -> Outcome:
    try:
        parsed = parse_message(message)
    except ProtocolError as error:
        return ("refused", type(error).__name__, error.reason)
    return ("parsed", parsed.message_type, parsed.recipient, parsed.id, parsed.creation_date,
            parsed.ttl, parsed.payload, parsed.sender_certificate.der, parsed.attached)


@pytest.mark.parametrize("encoding", ["der", "js", "jvm"])
@settings(max_examples=200, derandomize=True, database=None, deadline=None)
@given(data=st.data())
def test_a_ramf_message_is_parsed_as_its_der_normalisation(
        make_message: MessageFactory, encoding: str, data: st.DataObject) -> None:
    message = data.draw(mutations(make_message(encoding=encoding)))
    header, body = message[:HEADER_LENGTH], message[HEADER_LENGTH:]
    try:
        expected = _parsed(header + ber_to_der(body))
    except ProtocolError as error:
        expected = ("refused", type(error).__name__, error.reason)
    found = _parsed(message)
    if found[0] == "refused" and found != expected:  # a header refusal comes first
        assert _parsed(header + b"\x30\x00") == found
    else:
        assert found == expected
