"""After a trial boot: keep the new slot only once the courier is serving, else go back."""

import enum
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from courier.update.bootsel import DEFAULT_BOOT, BootPartition, BootselError, current_slot

DEADLINE_S = 300.0
POLL_S = 2.0
SYSTEMCTL = "/usr/bin/systemctl"
RAUC = "/usr/bin/rauc"


class Verdict(enum.Enum):
    """What this boot is, as far as updates go."""

    NORMAL = "normal boot of the committed slot"
    TRIAL = "trial boot of a new slot"
    NOT_AB = "boot partition not set up for A/B"


def classify(booted: str, boot: BootPartition) -> Verdict:
    """Tell a trial boot (booted slot is the pending trial, not the committed one) from others."""
    try:
        committed = boot.committed()
    except BootselError:
        return Verdict.NOT_AB
    if booted != committed and boot.trial() == booted:
        return Verdict.TRIAL
    return Verdict.NORMAL


def courier_state() -> str:
    """Return courier.service's ActiveState ('active' only after READY=1, i.e. store open)."""
    out = subprocess.run(  # noqa: S603
        [SYSTEMCTL, "show", "--property=ActiveState", "--value", "courier.service"],
        capture_output=True, text=True, check=False,
    )
    return out.stdout.strip()


def wait_serving(
    state: Callable[[], str], deadline_s: float, sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str | None:
    """Wait for the courier to be active; return None on success, else why not."""
    end = clock() + deadline_s
    last = ""
    while clock() < end:
        last = state()
        if last == "active":
            return None
        if last == "failed":
            return "courier.service failed to start"
        sleep(POLL_S)
    return f"courier.service not serving after {deadline_s:.0f} s (state {last or 'unknown'})"


def run_rauc(args: list[str]) -> None:
    """Run `rauc status ...` (mark-good/mark-bad), raising on failure."""
    subprocess.run([RAUC, "status", *args], check=True, capture_output=True, text=True)  # noqa: S603


def check(
    boot: BootPartition, booted: str, *, state: Callable[[], str],
    rauc: Callable[[list[str]], None], reboot: Callable[[], None],
    deadline_s: float = DEADLINE_S, sleep: Callable[[float], None] = time.sleep,
    say: Callable[[str], None] = lambda _message: None,
) -> str:
    """Commit a healthy trial (mark-good) or mark it bad and reboot to the old slot.

    The outcome is said (journal) before any reboot: the journal lives in RAM.
    """
    verdict = classify(booted, boot)
    if verdict is not Verdict.TRIAL:
        message = f"slot {booted}: {verdict.value}, nothing to do"
        say(message)
        return message
    why = wait_serving(state, deadline_s, sleep)
    if why is None:
        rauc(["mark-good", "booted"])
        message = f"update committed: slot {booted} is now the system"
        say(message)
        return message
    kept = boot.committed()
    rauc(["mark-bad", "booted"])
    message = f"update failed, keeping slot {kept}: {why}"
    say(message)
    reboot()
    return message


def reboot() -> None:
    """Reboot without the tryboot flag: the firmware reads config.txt, the committed slot."""
    subprocess.run([SYSTEMCTL, "--no-block", "reboot"], check=True)  # noqa: S603


def main() -> int:
    """Entry point of courier-update-health.service."""
    boot = BootPartition(DEFAULT_BOOT)
    try:
        booted = current_slot(Path("/proc/cmdline").read_text())
    except BootselError as exc:
        print(f"courier-update-health: {exc}, nothing to do")
        return 0
    check(boot, booted, state=courier_state, rauc=run_rauc, reboot=reboot, say=_say)
    return 0


def _say(message: str) -> None:
    """Put one line in the journal now (stdout of the unit)."""
    print(f"courier-update-health: {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
