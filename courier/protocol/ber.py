"""BER to DER normalisation for hostile input (PROTOCOL.md section 2: JS and JVM emit BER).

Definite lengths are made minimal, indefinite lengths (JVM) become definite, and constructed
strings (JS: OCTET STRING in 64 KiB chunks; JVM: 1000-byte chunks) are merged into one primitive.
SET OF elements are NOT re-sorted: signed attributes must keep the signer's order to verify.
Depth and element count are bounded and every length is checked against the bytes present, so
hostile nesting or length fields fail fast with MalformedMessageError.
"""

from functools import lru_cache
from typing import NamedTuple

from courier.protocol.errors import MalformedMessageError
from courier.reasons import Reason

MAX_DEPTH = 48
MAX_ELEMENTS = 100_000
_SMALL = 512  # check_der remembers the verdict on elements up to this size (they repeat)

# Universal string types whose BER constructed form is a list of chunks (X.690 8.21); BIT STRING
# (3) is refused in constructed form: Awala never emits it and merging needs unused-bit rules.
_STRING_TAGS = frozenset({4, 12, 18, 19, 20, 21, 22, 25, 26, 27, 28, 29, 30})


def _fail(message: str, reason: Reason = Reason.BAD_ENCODING) -> MalformedMessageError:
    return MalformedMessageError(f"BER: {message}", reason)


class NotDerError(Exception):
    """Internal signal: well-formed BER that is not DER here; normalise the whole value, retry."""


class Span(NamedTuple):
    """The octets source[start:end], named without copying them (a cargo body is up to 9 MiB)."""

    source: bytes
    start: int
    end: int

    @classmethod
    def whole(cls, data: bytes) -> "Span":
        """Return the span of all of `data`."""
        return cls(data, 0, len(data))

    @property
    def size(self) -> int:
        """Return the number of octets."""
        return self.end - self.start

    def view(self) -> memoryview:
        """Return a read-only view of the octets."""
        return memoryview(self.source)[self.start:self.end]

    def copy(self) -> bytes:
        """Return the octets as their own bytes."""
        if self.start == 0 and self.end == len(self.source):
            return self.source
        return self.source[self.start:self.end]


def read_header(data: bytes, pos: int, end: int) -> tuple[int, int, int, bool]:
    """Return (content start, length or -1 if indefinite, identifier end, minimal) at `pos`."""
    if pos >= end:
        raise _fail("truncated before identifier", Reason.TRUNCATED)
    first = data[pos]
    ident_end = pos + 1 if first & 0x1F != 0x1F else _high_tag_end(data, pos, end)
    if ident_end >= end:
        raise _fail("truncated before length", Reason.TRUNCATED)
    octet = data[ident_end]
    if octet < 0x80:
        if ident_end + 1 + octet > end:
            raise _fail(f"length {octet} exceeds the octets left", Reason.TRUNCATED)
        return ident_end + 1, octet, ident_end, True
    if octet == 0x80:
        if not first & 0x20:
            raise _fail("indefinite length on a primitive")
        return ident_end + 1, -1, ident_end, False
    count = octet & 0x7F
    if count > 4:  # 4 octets already exceed any message we accept
        raise _fail("length field too long")
    start = ident_end + 1 + count
    if start > end:
        raise _fail("truncated length", Reason.TRUNCATED)
    length = int.from_bytes(data[ident_end + 1:start], "big")
    if start + length > end:
        raise _fail(f"length {length} exceeds the {end - start} octets left", Reason.TRUNCATED)
    minimal = length >= 0x80 and data[ident_end + 1] != 0
    return start, length, ident_end, minimal


def _high_tag_end(data: bytes, pos: int, end: int) -> int:
    """Return the end of a high tag number identifier (X.690 8.1.2.4), at most 4 octets long."""
    ident_end = pos + 1
    while True:
        if ident_end >= end:
            raise _fail("truncated tag", Reason.TRUNCATED)
        octet = data[ident_end]
        ident_end += 1
        if ident_end - pos > 5 or (ident_end == pos + 2 and octet == 0x80):
            raise _fail("tag number too large or not minimal")
        if not octet & 0x80:
            return ident_end


def encode_length(length: int) -> bytes:
    """Return the DER length octets for `length`."""
    if length < 0x80:
        return bytes((length,))
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(octets),)) + octets


# A new encoding as fragments joined once at the top (no copy per nesting level), and its size.
_Encoding = tuple[list[bytes | memoryview], int]


class _Normaliser:
    """One pass over one input; counts elements to bound the work."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.view = memoryview(data)
        self.elements = 0

    def element(self, pos: int, end: int, depth: int) -> tuple[int, _Encoding | None]:
        """Normalise the element at `pos`; return (next pos, new encoding or None if DER)."""
        data = self.data
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise _fail("too many elements")
        header = read_header(data, pos, end)
        start, length, ident_end, minimal = header
        first = data[pos]
        if first == 0:
            raise _fail("unexpected end-of-contents")
        if not first & 0x20:
            if minimal:
                return start + length, None
            return start + length, self._rebuild(data[pos:ident_end],
                                                 ([self.view[start:start + length]], length))
        if depth >= MAX_DEPTH:
            raise _fail("nesting too deep", Reason.TOO_DEEP)
        if first & 0xC0 == 0 and first & 0x1F in _STRING_TAGS:
            chunks: list[bytes | memoryview] = []
            after = self._string(pos, end, depth, first & 0xDF, chunks)
            size = sum(len(chunk) for chunk in chunks)
            return after, self._rebuild(bytes((first & 0xDF,)), (chunks, size))
        if first == 0x23:
            raise _fail("constructed BIT STRING is not supported")
        return self._constructed(pos, end, depth, header)

    def _constructed(self, pos: int, end: int, depth: int,
                     header: tuple[int, int, int, bool]) -> tuple[int, _Encoding | None]:
        data = self.data
        start, length, ident_end, minimal = header
        limit = start + length if length >= 0 else end
        spans: list[tuple[int, int, _Encoding | None]] = []
        changed = not minimal
        cursor = start
        while True:
            if length < 0:
                if cursor + 1 < end and data[cursor] == 0 and data[cursor + 1] == 0:
                    after = cursor + 2
                    break
            elif cursor == limit:
                after = cursor
                break
            following, encoding = self.element(cursor, limit, depth + 1)
            changed = changed or encoding is not None
            spans.append((cursor, following, encoding))
            cursor = following
        if not changed:
            return after, None
        pieces: list[bytes | memoryview] = []
        size = 0
        for a, b, encoding in spans:
            if encoding is None:
                pieces.append(self.view[a:b])
                size += b - a
            else:
                pieces += encoding[0]
                size += encoding[1]
        return after, self._rebuild(data[pos:ident_end], (pieces, size))

    def _string(self, pos: int, end: int, depth: int, tag: int,
                chunks: list[bytes | memoryview]) -> int:
        """Collect the chunks of a constructed string of universal `tag`; return the next pos."""
        data = self.data
        start, length, _, _ = read_header(data, pos, end)
        limit = start + length if length >= 0 else end
        cursor = start
        while True:
            if length < 0:
                if cursor + 1 < end and data[cursor] == 0 and data[cursor + 1] == 0:
                    return cursor + 2
            elif cursor == limit:
                return cursor
            self.elements += 1
            if self.elements > MAX_ELEMENTS:
                raise _fail("too many elements")
            if cursor >= limit:
                raise _fail("truncated constructed string", Reason.TRUNCATED)
            first = data[cursor]
            if first & 0xDF != tag:
                raise _fail("constructed string chunk of another type")
            if first & 0x20:
                if depth + 1 >= MAX_DEPTH:
                    raise _fail("nesting too deep", Reason.TOO_DEEP)
                cursor = self._string(cursor, limit, depth + 1, tag, chunks)
                continue
            if cursor + 4 <= limit and data[cursor + 1] == 0x82:  # the JVM's 1000-octet chunks
                chunk_start = cursor + 4
                after = chunk_start + (data[cursor + 2] << 8 | data[cursor + 3])
                if after > limit:
                    raise _fail("chunk length exceeds the octets left", Reason.TRUNCATED)
            else:
                chunk_start, chunk_length, _, _ = read_header(data, cursor, limit)
                after = chunk_start + chunk_length
            chunks.append(self.view[chunk_start:after])
            cursor = after

    @staticmethod
    def _rebuild(identifier: bytes, content: _Encoding) -> _Encoding:
        pieces, size = content
        header = identifier + encode_length(size)
        return [header, *pieces], len(header) + size


def ber_to_der(data: bytes, depth: int = 0) -> bytes:
    """Return the DER form of one BER element filling `data` (the input itself if already DER).

    `depth` is the element's nesting depth in the value it came from, so that MAX_DEPTH counts
    from the top of that value.
    """
    normaliser = _Normaliser(data)
    after, encoding = normaliser.element(0, len(data), depth)
    if after != len(data):
        raise _fail(f"{len(data) - after} octets after the end of the value", Reason.TRAILING_DATA)
    return data if encoding is None else b"".join(encoding[0])


def check_der(element: bytes, depth: int) -> None:
    """Refuse `element` as ber_to_der would at `depth`; NotDerError if it is BER but not DER.

    The in-place readers call this on every part they do not walk themselves, so they accept
    only what the normalising reader accepts, with the same octets.
    """
    if not (_small_is_der(element, depth) if len(element) <= _SMALL
            else ber_to_der(element, depth) is element):
        raise NotDerError


@lru_cache(maxsize=1024)
def _small_is_der(element: bytes, depth: int) -> bool:
    """Tell whether a small element is DER; algorithm identifiers and names repeat."""
    return ber_to_der(element, depth) is element


def read_string(data: bytes, pos: int, end: int, tag: int) -> tuple[bytes, int]:
    """Return (octets, next pos) of a universal string `tag`, primitive or constructed (BER)."""
    span, after, _ = read_string_span(data, pos, end, tag)
    return span.copy(), after


def read_string_span(data: bytes, pos: int, end: int, tag: int,
                     depth: int = 0) -> tuple[Span, int, int]:
    """Return (octets, next pos, elements counted) of a universal string `tag` at `depth`.

    A primitive string is named in place rather than copied; a constructed one is joined, with
    the chunk rules, depth and element count of ber_to_der.
    """
    if pos < end and data[pos] == tag:
        start, length, _, _ = read_header(data, pos, end)
        return Span(data, start, start + length), start + length, 1
    if pos < end and data[pos] == tag | 0x20:
        chunks: list[bytes | memoryview] = []
        normaliser = _Normaliser(data)
        after = normaliser._string(pos, end, depth, tag, chunks)
        return Span.whole(b"".join(chunks)), after, normaliser.elements + 1
    raise _fail(f"expected a string of tag 0x{tag:02x}", Reason.BAD_STRUCTURE)
