"""Shared by the differential tests: the CMS paths side by side, mutations, BER re-encoding."""

from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st

from courier.errors import ProtocolError
from courier.protocol.ber import NotDerError, Span, ber_to_der, read_header
from courier.protocol.cms import (
    read_in_place,
    read_normalised,
    read_signed_data,
    verify_signed_data,
)

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


def check_cms_of_messages(messages: list[bytes], data: st.DataObject) -> None:
    """Draw one RAMF message under 64 KiB, mutate its ContentInfo, check the paths agree."""
    cms = data.draw(st.sampled_from([raw[7:] for raw in messages if len(raw) < 65_536]))
    mutated = data.draw(mutations(cms))
    check_cms_paths_agree(mutated)
    check_same_verdict_as_der(mutated)


def check_every_flipped_octet(cms: bytes, mask: int) -> None:
    """Check the paths agree with each octet of `cms` in turn XORed with `mask`."""
    for at in range(len(cms)):
        check_cms_paths_agree(cms[:at] + bytes((cms[at] ^ mask,)) + cms[at + 1:])


def vector_messages(vectors: tuple[Path, dict[str, object]]) -> list[bytes]:
    """Return the messages of a vector folder and its manifest (JS or JVM vectors)."""
    folder, manifest = vectors
    cases = manifest["vectors"]
    assert isinstance(cases, list)
    return [(folder / str(case["file"])).read_bytes() for case in cases]
