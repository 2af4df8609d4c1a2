"""The trial-boot health check: commit when the courier serves, else mark bad and reboot."""

from pathlib import Path

import pytest

from courier.update.bootsel import BootPartition
from courier.update.health import Verdict, check, classify, wait_serving


@pytest.fixture
def boot(tmp_path: Path) -> BootPartition:
    """A boot partition committed to A with a trial of B pending."""
    (tmp_path / "config.txt").write_text("os_prefix=slot-a/\narm_64bit=1\n")
    part = BootPartition(tmp_path)
    part.set_primary("B")
    return part


class FakeRauc:
    """Stands for `rauc status`, calling the real backend as rauc would for the booted slot."""

    def __init__(self, boot: BootPartition, booted: str) -> None:
        """Remember the partition and booted slot."""
        self.boot, self.booted, self.calls = boot, booted, list[list[str]]()

    def __call__(self, args: list[str]) -> None:
        """Mark the booted slot good or bad through the backend."""
        self.calls.append(args)
        self.boot.set_state(self.booted, "good" if args[0] == "mark-good" else "bad")


def states(*seq: str) -> "list[str]":
    """Courier states returned one per poll."""
    return list(seq)


def test_classify(boot: BootPartition, tmp_path: Path) -> None:
    assert classify("B", boot) is Verdict.TRIAL
    assert classify("A", boot) is Verdict.NORMAL
    (tmp_path / "config.txt").write_text("arm_64bit=1\n")
    assert classify("A", boot) is Verdict.NOT_AB


def test_serving_trial_is_committed(boot: BootPartition) -> None:
    seq = states("activating", "activating", "active")
    rauc, reboots = FakeRauc(boot, "B"), list[int]()
    msg = check(boot, "B", state=lambda: seq.pop(0), rauc=rauc,
                reboot=lambda: reboots.append(1), sleep=lambda _: None)
    assert msg == "update committed: slot B is now the system"
    assert rauc.calls == [["mark-good", "booted"]]
    assert boot.committed() == "B" and boot.trial() is None and not reboots


def test_failed_courier_marks_bad_and_reboots_to_old_slot(boot: BootPartition) -> None:
    seq = states("activating", "failed")
    rauc, reboots = FakeRauc(boot, "B"), list[int]()
    msg = check(boot, "B", state=lambda: seq.pop(0), rauc=rauc,
                reboot=lambda: reboots.append(1), sleep=lambda _: None)
    assert msg == "update failed, keeping slot A: courier.service failed to start"
    assert rauc.calls == [["mark-bad", "booted"]] and reboots == [1]
    assert boot.committed() == "A" and boot.trial() is None and boot.get_state("B") == "bad"


def test_courier_never_ready_times_out() -> None:
    now = [0.0]

    def sleep(s: float) -> None:
        now[0] += s

    why = wait_serving(lambda: "activating", 10, sleep, lambda: now[0])
    assert why == "courier.service not serving after 10 s (state activating)"


def test_normal_boot_touches_nothing(boot: BootPartition) -> None:
    rauc, reboots = FakeRauc(boot, "A"), list[int]()
    msg = check(boot, "A", state=lambda: "failed", rauc=rauc, reboot=lambda: reboots.append(1))
    assert "nothing to do" in msg and not rauc.calls and not reboots
    assert boot.trial() == "B"


def test_unit_verifies(tmp_path: Path) -> None:
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    unit = Path(__file__).resolve().parents[2] / "systemd/courier-update-health.service"
    text = unit.read_text().replace("/opt/courier/venv/bin/python", sys.executable)
    (tmp_path / unit.name).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", unit.name], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_the_reason_is_said_before_the_reboot(boot: BootPartition) -> None:
    # The journal is in RAM: a reason logged after the reboot started may never be written.
    events = list[str]()
    check(boot, "B", state=lambda: "failed", rauc=FakeRauc(boot, "B"),
          reboot=lambda: events.append("reboot"), sleep=lambda _: None, say=events.append)
    assert events == ["update failed, keeping slot A: courier.service failed to start", "reboot"]
