"""The post-install handler's copy of a slot's boot files into slot-x/."""

from pathlib import Path

import pytest

from courier.update.bootsel import BootPartition, BootselError
from courier.update.slotboot import cmdline_for, install_boot_files

CMDLINE = "console=tty0 console=ttyS1,115200 root=LABEL=COURIER-ROOT ro rootwait\n"


@pytest.fixture
def boot(tmp_path: Path) -> BootPartition:
    """Boot partition committed to A, with slot-a/ in place."""
    root = tmp_path / "boot"
    (root / "slot-a").mkdir(parents=True)
    (root / "slot-a/vmlinuz").write_bytes(b"old kernel A")
    (root / "config.txt").write_text("os_prefix=slot-a/\n")
    return BootPartition(root)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """The boot files carried inside a new root filesystem."""
    path = tmp_path / "slot-boot"
    (path / "overlays").mkdir(parents=True)
    (path / "vmlinuz").write_bytes(b"new kernel")
    (path / "overlays/x.dtbo").write_bytes(b"dt")
    (path / "cmdline.txt").write_text(CMDLINE)
    return path


def test_cmdline_names_slot_and_its_partition() -> None:
    assert cmdline_for(CMDLINE, "B") == (
        "root=PARTUUID=c0021e4b-03 console=tty0 console=ttyS1,115200 ro rootwait rauc.slot=B\n"
    )
    assert cmdline_for(cmdline_for(CMDLINE, "B"), "A").count("root=") == 1


def test_boot_files_land_in_the_other_slot(boot: BootPartition, src: Path) -> None:
    (boot.root / "slot-b").mkdir()
    (boot.root / "slot-b/stale").write_text("from an older update")
    target = install_boot_files(src, boot, "B")
    assert target == boot.root / "slot-b"
    assert (target / "vmlinuz").read_bytes() == b"new kernel"
    assert (target / "overlays/x.dtbo").exists() and not (target / "stale").exists()
    assert "rauc.slot=B" in (target / "cmdline.txt").read_text()
    assert (boot.root / "slot-a/vmlinuz").read_bytes() == b"old kernel A"
    assert not (boot.root / "slot-b.new").exists()


def test_committed_slot_is_never_overwritten(boot: BootPartition, src: Path) -> None:
    with pytest.raises(BootselError, match="committed"):
        install_boot_files(src, boot, "A")
    assert (boot.root / "slot-a/vmlinuz").read_bytes() == b"old kernel A"
