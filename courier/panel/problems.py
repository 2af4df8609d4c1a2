"""Problems in words a courier understands: a headline and what to do (problem -> screen)."""

from courier.panel.session_types import Problem

# One place translating internal conditions to advice; kept short: 4 lines of 21 characters.
_WORDS: dict[Problem, tuple[str, str]] = {
    Problem.STORAGE_FULL: (
        "Storage full",
        "No room for more cargo. Deliver what it holds: press to sync."),
    Problem.CLOCK_UNTRUSTED: (
        "Clock not set",
        "Time unsure after power loss. Old cargo is kept safe; sync with Internet to fix."),
    Problem.HARDWARE_FAULT: (
        "Hardware fault",
        "A part is not working. Restart; if it stays, get help."),
    Problem.SYNC_FAILED: (
        "Sync failed",
        "Cargo is kept. Press to try again."),  # why: the detail (a gateway, a slow uplink)
    Problem.WIFI_FAILED: (
        "Wi-Fi sync failed",
        "Cargo is kept."),  # why: the detail (wrong passphrase, captive portal), 3 lines of it
    Problem.UPDATE_FAILED: (
        "Update failed",
        "Old system kept. Cargo is safe."),  # why: the detail (the helper's words)
}


def explain(problem: Problem) -> tuple[str, str]:
    """Return (headline, advice) for a problem."""
    return _WORDS[problem]
