"""Why a bundle was refused or an install failed, in a few words for the panel (rauc's are long)."""

_WORDS = (  # first match wins: a malformed bundle's message may also mention its signature
    (("squashfs", "magic", "invalid bundle", "format", "exceeds bundle size", "truncated", "eof",
      "short read"), "not a whole update bundle"),
    (("signature", "verify", "certificate", "keyring", "cms"), "not signed by this fleet's key"),
    (("compatible",), "made for another device"),
    (("older than the running",), "older than this system"),
    (("not a release number",), "no usable version number"),
    (("no space", "not enough space", "too small", "too large"), "does not fit the other slot"),
)


def refusal_words(reason: str) -> str:
    """Return a short reason for the panel; the journal keeps rauc's own words."""
    lowered = reason.lower()
    for needles, words in _WORDS:
        if any(needle in lowered for needle in needles):
            return words
    return "refused by rauc (see the journal)"
