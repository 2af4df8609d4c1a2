"""What the panel says about this boot's system: trying a new version, updated, update failed."""

import asyncio
from pathlib import Path

import pytest

from courier.app import updates as updates_module
from courier.app.updates import Updates
from courier.update.bootsel import BootPartition
from courier.update.helper import booted_slot
from courier.update.offer import HelperStatus, Offer, write_status
from courier.update.words import BootFacts, Seen, words_for

COMMITTED_A = BootFacts("A", trial=False, bad_others=(), pending_other=False)


@pytest.mark.parametrize(("facts", "version", "seen", "words", "keep"), [
    (None, "0.2.0", None, "", None),  # a laptop: no slots, nothing said or kept
    (COMMITTED_A, "0.1.0", None, "", Seen("0.1.0")),  # the first boot is remembered
    (COMMITTED_A, "0.1.0", Seen("0.1.0"), "", Seen("0.1.0")),
    (BootFacts("B", True, (), False), "0.2.0", Seen("0.1.0"), "Trying new version 0.2.0", None),
    (BootFacts("B", False, (), False), "0.2.0", Seen("0.1.0"), "Updated to 0.2.0",
     Seen("0.2.0")),
    (BootFacts("A", False, ("B",), False), "0.1.0", Seen("0.1.0"),
     "Update failed, kept 0.1.0", Seen("0.1.0", ("B",))),
    (BootFacts("A", False, ("B",), False), "0.1.0", Seen("0.1.0", ("B",)), "",
     Seen("0.1.0", ("B",))),  # said once, on the boot after the rollback
    # The trial never reached its end (power cut, crash, or a kernel that dropped tryboot):
    (BootFacts("A", False, (), True), "0.1.0", Seen("0.1.0"), "Update failed, kept 0.1.0",
     Seen("0.1.0", (), True)),
])
def test_words_for_each_boot(facts: BootFacts | None, version: str, seen: Seen | None,
                             words: str, keep: Seen | None) -> None:
    assert words_for(facts, version, seen) == (words, keep)


def partition(tmp_path: Path, committed: str, trial: str | None = None) -> BootPartition:
    """A boot partition committed to a slot, maybe with a trial pending."""
    root = tmp_path / "boot"
    root.mkdir(exist_ok=True)
    (root / "config.txt").write_text(f"os_prefix=slot-{committed.lower()}/\narm_64bit=1\n")
    boot = BootPartition(root)
    if trial:
        boot.set_primary(trial)
    return boot


def updates_for(tmp_path: Path, version: str, slot: str) -> Updates:
    """The daemon's view of a boot of `slot` running `version` (the helper says the slot)."""
    (tmp_path / "run").mkdir(exist_ok=True)
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"console=tty1 root=PARTUUID=c0021e4b-02 rauc.slot={slot} rootwait\n")
    write_status(tmp_path / "run", HelperStatus(slot=booted_slot(cmdline)))
    return Updates(version, tmp_path / "state", tmp_path / "run", tmp_path / "boot")


def test_a_trial_committed_while_running_says_updated_and_a_rollback_says_failed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(updates_module, "BOOT_CHECK_SECONDS", 0.0)
    boot = partition(tmp_path, "A")
    assert updates_for(tmp_path, "0.1.0", "A").facts().notices == ()  # remembered: 0.1.0
    boot.set_primary("B")  # an install of 0.2.0 into B asks for its trial
    trying = updates_for(tmp_path, "0.2.0", "B")
    assert trying.facts().notices == ("Trying new version 0.2.0",)
    boot.set_state("B", "good")  # the health check commits it
    assert trying.facts().notices == ("Updated to 0.2.0",)
    assert updates_for(tmp_path, "0.2.0", "B").facts().notices == ()  # the next boot: nothing
    boot.set_primary("A")  # a broken 0.3.0 into A, on trial
    assert updates_for(tmp_path, "0.3.0", "A").facts().notices == ("Trying new version 0.3.0",)
    boot.set_state("A", "bad")  # the health check gives up and reboots into B
    assert updates_for(tmp_path, "0.2.0", "B").facts().notices == ("Update failed, kept 0.2.0",)
    assert updates_for(tmp_path, "0.2.0", "B").facts().notices == ()


def test_the_helper_refusals_and_failures_are_notices_and_the_offer_is_shown(
        tmp_path: Path) -> None:
    run = tmp_path / "run"
    updates = Updates("0.2.0", tmp_path / "state", run, tmp_path / "boot")
    assert updates.facts().offer == ""  # no helper: nothing offered, nothing said
    run.mkdir()
    write_status(run, HelperStatus(Offer("0.3.0", "download", "bundle.raucb", 7),
                                   ("old.raucb: older than this system",), "failed", None,
                                   "does not fit the other slot", 1))
    facts = updates.facts()
    assert (facts.offer, facts.source, facts.serial) == ("0.3.0", "download", 7)
    assert facts.notices == ("Update refused: old.raucb: older than this system",)
    assert facts.words == "does not fit the other slot"  # the problem screen says it
    (run / "status.json").write_text('{"offer": {"version": 3}}')
    assert updates.facts().offer == ""  # not ours: read as no helper
    (run / "status.json").write_text(
        '{"offer": {"version": "0.3.0", "source": "usb", "name": "a", "serial": -1}}')
    assert updates.facts().offer == ""


def test_a_laptop_without_the_helper_stops_looking_and_says_nothing(tmp_path: Path) -> None:
    updates = Updates("0.2.0", tmp_path / "state", tmp_path / "run", tmp_path / "boot")
    asyncio.run(asyncio.wait_for(updates.watch(helper_wait=0.0), 5))
    assert updates.facts().notices == () and not (tmp_path / "state").exists()


def test_a_trial_is_watched_until_the_health_check_commits_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(updates_module, "BOOT_CHECK_SECONDS", 0.05)
    boot = partition(tmp_path, "A")
    updates_for(tmp_path, "0.1.0", "A").facts()  # the boot that installed 0.2.0 into B
    boot.set_primary("B")
    updates = updates_for(tmp_path, "0.2.0", "B")

    async def commit_later() -> None:
        await asyncio.sleep(0.3)
        boot.set_state("B", "good")

    async def both() -> None:
        await asyncio.gather(updates.watch(), commit_later())
    asyncio.run(asyncio.wait_for(both(), 5))
    assert updates.facts().notices == ("Updated to 0.2.0",)
