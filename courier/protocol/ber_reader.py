"""In-place BER reading for the RAMF field set: definite and indefinite lengths, no copies.

Non-minimal definite lengths raise NotDerError: the caller then normalises with ber_to_der and
reads again. Depth and element count are bounded as in the normaliser.
"""

from courier.protocol.ber import MAX_DEPTH, MAX_ELEMENTS, NotDerError, read_header
from courier.protocol.errors import MalformedMessageError
from courier.reasons import Reason


def _fail(message: str, reason: Reason = Reason.BAD_ENCODING) -> MalformedMessageError:
    return MalformedMessageError(f"BER: {message}", reason)


# identifier octet, element start, content start, content end, element end (after any EOC)
Element = tuple[int, int, int, int, int]


class BerReader:
    """Reads elements in place, definite or indefinite (JVM), without copying the contents.

    The end of an indefinite-length element is found by walking its children once; they are
    remembered, so nested indefinite containers are not walked again at every level.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._children: dict[int, list[Element]] = {}
        self._elements = 0

    def element(self, pos: int, end: int) -> Element:
        """Return the element at `pos`; raise NotDerError on a non-minimal definite length."""
        start, length, _, minimal = read_header(self.data, pos, end)
        if length >= 0:
            if not minimal:
                raise NotDerError
            return self.data[pos], pos, start, start + length, start + length
        eoc = self._eoc(start, end, 0)
        return self.data[pos], pos, start, eoc, eoc + 2

    def _eoc(self, start: int, end: int, depth: int) -> int:  # noqa: PLR0912 - hot path inlined
        """Return the position of the end-of-contents closing the contents starting at `start`."""
        if depth >= MAX_DEPTH:
            raise _fail("nesting too deep", Reason.TOO_DEEP)
        data = self.data
        found: list[Element] = []
        cursor = start
        budget = MAX_ELEMENTS - self._elements
        while True:
            if len(found) > budget:
                raise _fail("too many elements")
            if cursor + 1 >= end:
                raise _fail("missing end-of-contents", Reason.TRUNCATED)
            first = data[cursor]
            octet = data[cursor + 1]
            if first == 0:
                if octet:
                    raise _fail("unexpected end-of-contents")
                break
            if first & 0x1F == 0x1F or cursor + 4 > end:
                child_start, length = self._definite_or_indefinite(cursor, end)
            elif octet < 0x80:  # inlined read_header for short and 1-2 octet lengths
                child_start, length = cursor + 2, octet
            elif octet == 0x82 and data[cursor + 2]:  # the JVM's 1000-octet chunks
                child_start, length = cursor + 4, data[cursor + 2] << 8 | data[cursor + 3]
            elif octet == 0x81 and data[cursor + 2] >= 0x80:
                child_start, length = cursor + 3, data[cursor + 2]
            else:
                child_start, length = self._definite_or_indefinite(cursor, end)
            if child_start + length > end:
                raise _fail("length exceeds the octets left", Reason.TRUNCATED)
            if length >= 0:
                content_end = after = child_start + length
            else:
                content_end = self._eoc(child_start, end, depth + 1)
                after = content_end + 2
            found.append((first, cursor, child_start, content_end, after))
            cursor = after
        self._elements += len(found)
        # Remember the children found on the way: reading them again is the costly part.
        self._children[start] = found
        return cursor

    def _definite_or_indefinite(self, pos: int, end: int) -> tuple[int, int]:
        """Return (content start, length or -1); NotDerError on a non-minimal definite length."""
        start, length, _, minimal = read_header(self.data, pos, end)
        if length >= 0 and not minimal:
            raise NotDerError
        return start, length

    def children(self, parent: Element, *tags: int, what: str = "value") -> list[Element]:
        """Return the children of `parent`, checking their identifier octets are `tags` if given."""
        data = self.data
        known = self._children.get(parent[2]) if parent[3] != parent[4] else None
        found = [] if known is None else known
        pos, end = parent[2], (parent[3] if known is None else parent[2])
        while pos < end:
            # Inlined fast path for low tags and 1-3 length octets: this loop is the hot path.
            first = data[pos]
            octet = data[pos + 1] if pos + 4 <= end and first & 0x1F != 0x1F else 0x80
            if octet < 0x80:
                start, content_end = pos + 2, pos + 2 + octet
            elif octet == 0x81 and data[pos + 2] >= 0x80:
                start, content_end = pos + 3, pos + 3 + data[pos + 2]
            elif octet == 0x82 and data[pos + 2]:
                start = pos + 4
                content_end = start + (data[pos + 2] << 8 | data[pos + 3])
            else:
                child = self.element(pos, end)
                found.append(child)
                pos = child[4]
                continue
            if content_end > end:
                raise _fail("length exceeds the octets left", Reason.TRUNCATED)
            found.append((first, pos, start, content_end, content_end))
            pos = content_end
        if tags and tuple([child[0] for child in found]) != tags:
            raise MalformedMessageError(f"unexpected structure in {what}", Reason.BAD_STRUCTURE)
        return found
