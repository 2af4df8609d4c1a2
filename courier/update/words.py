"""What the panel says about the system's own updates at boot: trying, updated, failed (pure)."""

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from courier.atomic import write_atomically
from courier.update.bootsel import BOOTNAMES, BootPartition, BootselError

SEEN_NAME = "update-seen.json"


@dataclass(frozen=True)
class BootFacts:
    """The A/B facts of this boot, read from the kernel command line and the boot partition."""

    booted: str  # the slot running
    trial: bool  # running on trial (not committed yet)
    bad_others: tuple[str, ...]  # other slots marked bad
    pending_other: bool  # a trial of another slot is still pending (it never ran to its end)


@dataclass(frozen=True)
class Seen:
    """What the last committed boot looked like (kept in the daemon's state directory)."""

    version: str
    bad: tuple[str, ...] = ()
    pending: bool = False


def boot_facts(boot: BootPartition, booted: str) -> BootFacts | None:
    """Return this boot's facts, or None on a system without A/B slots (a laptop)."""
    if booted not in BOOTNAMES:
        return None
    try:
        trial = boot.trial()
        bad = tuple(n for n in BOOTNAMES if n != booted and boot.get_state(n) == "bad")
        committed = boot.committed()
    except (BootselError, OSError):
        return None
    on_trial = trial == booted and committed != booted
    return BootFacts(booted, on_trial, bad, trial is not None and trial != booted)


def words_for(facts: BootFacts | None, version: str, seen: Seen | None,
              ) -> tuple[str, Seen | None]:
    """Return what to say now ("" nothing) and what to remember (None: keep the old record).

    A trial is never remembered: if it fails, the old slot must not read it as "updated".
    """
    if facts is None:
        return "", None
    if facts.trial:
        return f"Trying new version {version}", None
    now = Seen(version, facts.bad_others, facts.pending_other)
    if seen is None:
        return "", now
    if seen.version != version:
        return f"Updated to {version}", now
    if set(facts.bad_others) - set(seen.bad) or (facts.pending_other and not seen.pending):
        return f"Update failed, kept {version}", now
    return "", now


def read_seen(state_dir: Path) -> Seen | None:
    """Return the remembered boot, or None (first boot, or a file that is not ours)."""
    try:
        raw = json.loads((state_dir / SEEN_NAME).read_text())
        return Seen(str(raw["version"]), tuple(str(n) for n in raw["bad"]), bool(raw["pending"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def remember(state_dir: Path, seen: Seen) -> None:
    """Keep this boot's record for the next one."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(state_dir / SEEN_NAME, json.dumps(asdict(seen)).encode())
