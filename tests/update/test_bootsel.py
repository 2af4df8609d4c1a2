"""Every state transition of the RAUC custom backend on boot-partition files."""

import subprocess
import sys
from pathlib import Path

import pytest

from courier.update.bootsel import BootPartition, BootselError, current_slot, main

BASE = "arm_64bit=1\ndtparam=i2c_arm=on\n"


@pytest.fixture
def boot(tmp_path: Path) -> BootPartition:
    """A boot partition committed to slot A, no trial pending."""
    (tmp_path / "config.txt").write_text("os_prefix=slot-a/\n" + BASE)
    return BootPartition(tmp_path)


def firmware_choice(boot: BootPartition, tryboot_flag: bool) -> str:
    """Return the slot the Pi firmware starts: tryboot.txt if flagged and present."""
    if tryboot_flag and boot.tryboot.exists():
        return boot.trial() or ""
    return boot.committed()


def test_fresh_partition_is_a_good_and_primary(boot: BootPartition) -> None:
    assert boot.get_primary() == "A"
    assert boot.get_state("A") == "good"
    assert boot.get_state("B") == "good"
    assert boot.trial() is None


def test_set_primary_other_slot_starts_a_trial_only(boot: BootPartition) -> None:
    boot.set_primary("B")
    assert boot.get_primary() == "B"
    assert boot.committed() == "A"
    assert firmware_choice(boot, tryboot_flag=True) == "B"
    assert firmware_choice(boot, tryboot_flag=False) == "A"
    tryboot = boot.tryboot.read_text()
    assert tryboot.startswith("os_prefix=slot-b/\n") and "dtparam=i2c_arm=on" in tryboot


def test_good_trial_is_committed(boot: BootPartition) -> None:
    boot.set_primary("B")
    boot.set_state("B", "good")
    assert boot.committed() == "B"
    assert boot.trial() is None
    assert firmware_choice(boot, tryboot_flag=False) == "B"
    assert boot.config.read_text().count("os_prefix=") == 1
    assert "arm_64bit=1" in boot.config.read_text()


def test_bad_trial_is_cancelled_and_old_slot_kept(boot: BootPartition) -> None:
    boot.set_primary("B")
    boot.set_state("B", "bad")
    assert boot.committed() == "A"
    assert boot.trial() is None
    assert boot.get_state("B") == "bad"
    assert boot.get_primary() == "A"
    assert firmware_choice(boot, tryboot_flag=True) == "A"


def test_failed_trial_without_mark_returns_to_committed(boot: BootPartition) -> None:
    boot.set_primary("B")
    # The trial crashed before anything ran: the next boot has no tryboot flag.
    assert firmware_choice(boot, tryboot_flag=False) == "A"


def test_set_primary_committed_slot_cancels_trial(boot: BootPartition) -> None:
    boot.set_primary("B")
    boot.set_primary("A")
    assert boot.trial() is None
    assert boot.get_primary() == "A"


def test_set_primary_clears_an_earlier_bad_mark(boot: BootPartition) -> None:
    boot.set_primary("B")
    boot.set_state("B", "bad")
    boot.set_primary("B")
    assert boot.get_state("B") == "good"
    assert boot.trial() == "B"


def test_marks_on_non_trial_slot_only_record_state(boot: BootPartition) -> None:
    boot.set_state("A", "good")
    boot.set_state("B", "bad")
    assert boot.committed() == "A"
    assert boot.get_state("B") == "bad"
    assert boot.states.read_text() == "A=good\nB=bad\n"


def test_update_back_from_b_to_a(boot: BootPartition) -> None:
    boot.set_primary("B")
    boot.set_state("B", "good")
    boot.set_primary("A")
    assert firmware_choice(boot, tryboot_flag=True) == "A"
    boot.set_state("A", "good")
    assert boot.committed() == "A"


def test_unknown_slot_and_state_refused(boot: BootPartition) -> None:
    with pytest.raises(BootselError, match="unknown slot"):
        boot.set_primary("C")
    with pytest.raises(BootselError, match="unknown state"):
        boot.set_state("B", "meh")


def test_partition_without_os_prefix_refused(tmp_path: Path) -> None:
    (tmp_path / "config.txt").write_text(BASE)
    with pytest.raises(BootselError, match="not set up for A/B"):
        BootPartition(tmp_path).get_primary()


def test_current_slot_from_cmdline() -> None:
    assert current_slot("console=tty1 root=PARTLABEL=rootB rauc.slot=B ro") == "B"
    with pytest.raises(BootselError):
        current_slot("console=tty1")


def test_cli_as_rauc_calls_it(boot: BootPartition, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--boot", str(boot.root), "set-primary", "B"]) == 0
    assert main(["--boot", str(boot.root), "get-primary"]) == 0
    assert capsys.readouterr().out == "B\n"
    assert main(["--boot", str(boot.root), "set-state", "B", "good"]) == 0
    assert main(["--boot", str(boot.root), "get-state", "B"]) == 0
    assert capsys.readouterr().out == "good\n"
    assert boot.committed() == "B"
    assert main(["--boot", str(boot.root), "set-state", "B"]) == 2
    assert main(["--boot", str(boot.root), "set-primary", "Z"]) == 1
    assert "unknown slot" in capsys.readouterr().err


def test_cli_runs_as_a_program(boot: BootPartition) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "courier.update.bootsel", "--boot", str(boot.root), "get-primary"],
        check=True, capture_output=True, text=True,
    )
    assert out.stdout == "A\n"
