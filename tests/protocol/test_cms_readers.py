"""The CMS and RAMF reading paths side by side on mutations of real messages.

A value is read in place when it can be, else (or when that refuses) from its DER
normalisation. These tests hold the paths to one verdict and one Reason on every input: the
in-place reading, when it accepts, yields exactly the parts of the normalised reading, and a
message gets the verdict of its own DER normalisation (or, if it has none, the normaliser's
refusal). Hypothesis is derandomized: the examples are the same on every run.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.errors import ProtocolError
from courier.protocol.ber import (
    MAX_ELEMENTS,
    NotDerError,
    Span,
    ber_to_der,
    encode_length,
    read_header,
)
from courier.protocol.cms import (
    read_in_place,
    read_normalised,
    read_signed_data,
    verify_signed_data,
)
from courier.protocol.ramf import Recipient, parse_field_set, read_field_set_normalised
from courier.reasons import Reason
from courier.testing.serialise import Encoding, encode_field_set, sign_content, to_indefinite
from tests.protocol.conftest import NOW, Pki

DIFFERENTIAL = settings(max_examples=400, derandomize=True, database=None, deadline=None)
Outcome = tuple[object, ...]


def non_minimal(der: bytes) -> bytes:
    """Re-encode every length of DER values with one octet more than needed (BER, same value)."""
    out = []
    pos = 0
    while pos < len(der):
        start, length, ident_end, _ = read_header(der, pos, len(der))
        content = der[start:start + length]
        if der[pos] & 0x20:
            content = non_minimal(content)
        size = len(content)
        octets = size.to_bytes(max(1, (size.bit_length() + 7) // 8), "big")
        out.append(der[pos:ident_end] + bytes((0x80 | (len(octets) + 1),)) + b"\0" + octets
                   + content)
        pos = start + length
    return b"".join(out)


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
    return found


def outcome(read: Callable[[bytes], object], data: bytes) -> Outcome:
    """Return what a reading makes of `data`: its parts, its refusal, or that it defers."""
    try:
        result = read(data)
    except NotDerError:
        return ("defers",)
    except ProtocolError as error:
        return ("refused", type(error).__name__, error.reason)
    if isinstance(result, tuple) and isinstance(result[2], tuple):  # (content, certs, signer)
        content, certificates, signer = result
        assert isinstance(content, Span)
        return ("read", content.copy(), tuple(certificates), *signer)
    return ("read", result)


def check_cms_paths_agree(cms: bytes) -> Outcome:
    """Check the in-place and normalised readings agree on `cms`; return the verdict."""
    verdict = outcome(lambda d: read_normalised(d, 0), cms)
    assert verdict[0] != "defers"
    assert outcome(lambda d: read_signed_data(d, 0), cms) == verdict
    in_place = outcome(lambda d: read_in_place(d, 0), cms)
    if in_place[0] == "read":
        assert in_place == verdict
    return verdict


def verified(data: bytes) -> Outcome:
    """Return the verdict of verify_signed_data on `data`: content and signer, or the refusal."""
    try:
        signed = verify_signed_data(data)
    except ProtocolError as error:
        return ("refused", type(error).__name__, error.reason)
    return ("accepted", signed.content, signed.signer.der, signed.attached)


def check_same_verdict_as_der(cms: bytes) -> None:
    """Check `cms` is verified as its DER normalisation is, or refused as the normaliser does."""
    try:
        expected = verified(ber_to_der(cms))
    except ProtocolError as error:
        expected = ("refused", type(error).__name__, error.reason)
    assert verified(cms) == expected


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """Return `data` with one byte changed, a cut, an insertion or a deletion."""
    kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
    at = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        return data[:at] + bytes((data[at] ^ draw(st.integers(1, 255)),)) + data[at + 1:]
    if kind == "cut":
        return data[:at]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at:]
    return data[:at] + data[at + draw(st.integers(1, 4)):]


FORMS = ["der", "js", "jvm", "jvm-everywhere", "non-minimal", "indefinite"]


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


@pytest.mark.parametrize("mask", [0x01, 0x20, 0x80, 0xFF])
def test_the_cms_paths_agree_on_every_flipped_octet_of_a_der_message(
        vectors: dict[str, bytes], mask: int) -> None:
    cms = vectors["der"]
    for at in range(len(cms)):
        check_cms_paths_agree(cms[:at] + bytes((cms[at] ^ mask,)) + cms[at + 1:])


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
    signer_info = [1, 0, -1, 0]  # ContentInfo > [0] > SignedData > signerInfos > SignerInfo
    cms = _edit(vectors["der"], signer_info, lambda children: [*children, unsigned])
    cms = _edit(cms, [1, 0], lambda children: [*children[:-1], crls, children[-1]])
    assert verified(cms) == ("refused", "MalformedMessageError", Reason.BAD_ENCODING)
    check_cms_paths_agree(cms)
    check_same_verdict_as_der(cms)
    # Either part alone is read, and the message accepted.
    for alone in (_edit(vectors["der"], signer_info, lambda children: [*children, unsigned]),
                  _edit(vectors["der"], [1, 0], lambda c: [*c[:-1], crls, c[-1]])):
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
