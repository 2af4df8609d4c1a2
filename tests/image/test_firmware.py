"""The qemu harness boots what the Pi firmware would: os_prefix from config.txt or tryboot.txt."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.image.firmware import choose, firmware_boot, settings

MIB = 1 << 20
CONFIG = "# generated\narm_64bit=1\nkernel=vmlinuz\ninitramfs initrd.img\n"
SLOT_FILES = ("vmlinuz", "initrd.img", "bcm2711-rpi-4-b.dtb", "cmdline.txt")


@pytest.fixture
def card(tmp_path: Path) -> Path:
    """A disk image with an MBR and a FAT boot partition holding slot-a/ and slot-b/."""
    for tool in ("mkfs.vfat", "mcopy", "mdir", "sfdisk"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    disk = tmp_path / "card.img"
    with disk.open("wb") as out:
        out.truncate(48 * MIB)
    subprocess.run(["sfdisk", "-q", str(disk)], input="label: dos\nstart=2048, type=c\n",
                   text=True, check=True)
    subprocess.run(["mkfs.vfat", "-F", "32", "--offset", "2048", str(disk), str(46 * 1024)],
                   check=True, capture_output=True)
    image = f"{disk}@@{MIB}"
    for slot in ("a", "b"):
        subprocess.run(["mmd", "-i", image, f"::slot-{slot}"], check=True)
        for name in SLOT_FILES:
            local = tmp_path / name
            local.write_text(f"root=PARTUUID=c0021e4b-0{'23'[slot == 'b']} rauc.slot={slot}\n"
                             if name == "cmdline.txt" else f"{name} of slot {slot}\n")
            subprocess.run(["mcopy", "-i", image, str(local), f"::slot-{slot}/{name}"],
                           check=True)
    return disk


def _put(disk: Path, name: str, text: str) -> None:
    local = disk.with_name("put")
    local.write_text(text)
    subprocess.run(["mcopy", "-o", "-i", f"{disk}@@{MIB}", str(local), f"::{name}"], check=True)


def test_a_normal_boot_reads_config_txt_and_its_prefix(card: Path, tmp_path: Path) -> None:
    _put(card, "config.txt", "os_prefix=slot-a/\n" + CONFIG)
    _put(card, "tryboot.txt", "os_prefix=slot-b/\n" + CONFIG)
    choice, cmdline = firmware_boot(card, tmp_path)
    assert (choice.config, choice.kernel, choice.initramfs) == (
        "config.txt", "slot-a/vmlinuz", "slot-a/initrd.img")
    assert cmdline == "root=PARTUUID=c0021e4b-02 rauc.slot=a"


def test_a_trial_boot_reads_tryboot_txt(card: Path, tmp_path: Path) -> None:
    _put(card, "config.txt", "os_prefix=slot-a/\n" + CONFIG)
    _put(card, "tryboot.txt", "os_prefix=slot-b/\n" + CONFIG)
    choice, cmdline = firmware_boot(card, tmp_path, trial=True)
    assert (choice.config, choice.kernel) == ("tryboot.txt", "slot-b/vmlinuz")
    assert cmdline == "root=PARTUUID=c0021e4b-03 rauc.slot=b"


def test_a_trial_without_tryboot_txt_boots_the_committed_slot(card: Path, tmp_path: Path) -> None:
    _put(card, "config.txt", "os_prefix=slot-b/\n" + CONFIG)
    choice, _ = firmware_boot(card, tmp_path, trial=True)
    assert (choice.config, choice.kernel) == ("config.txt", "slot-b/vmlinuz")


def test_a_prefix_without_kernel_and_device_tree_is_ignored() -> None:
    files = {"vmlinuz", "initrd.img", "slot-a/vmlinuz", "slot-a/initrd.img"}  # no dtb in slot-a/
    choice = choose("config.txt", "os_prefix=slot-a/\n" + CONFIG, files)
    assert (choice.prefix, choice.kernel, choice.cmdline) == ("", "vmlinuz", "cmdline.txt")
    with_dtb = choose("config.txt", "os_prefix=slot-a/\n" + CONFIG,
                      {*files, "slot-a/bcm2711-rpi-4-b.dtb"})
    assert with_dtb.kernel == "slot-a/vmlinuz"


def test_settings_take_the_last_value_and_skip_comments() -> None:
    found = settings("os_prefix=slot-a/\n# os_prefix=slot-c/\nos_prefix=slot-b/ # trial\n"
                     "initramfs initrd.img followkernel\n")
    assert found == {"os_prefix": "slot-b/", "initramfs": "initrd.img"}
