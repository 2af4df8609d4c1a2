"""Interoperability with the official Awala libraries (JS and JVM)."""

from typing import Literal


def bound(value: object) -> Literal["internet", "private"] | None:
    """Return a vector's `bound` (JSON: "internet", "private" or null) as validate_message wants."""
    if value == "internet":
        return "internet"
    if value == "private":
        return "private"
    assert value is None, value
    return None
