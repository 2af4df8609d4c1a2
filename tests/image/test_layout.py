"""The image's static pieces agree with each other (fast; the boot itself is in test_boot.py)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.image.boot import guest_cmdline
from tests.image.firmware import choose

BUILD = REPO / "image-build"
OVERLAY = BUILD / "overlay"


def _fstab() -> dict[str, tuple[str, str, str]]:
    entries = {}
    for line in (OVERLAY / "etc" / "fstab").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            source, target, kind, options, *_ = line.split()
            entries[target] = (source, kind, options)
    return entries


def test_every_partition_is_mounted_by_the_label_genimage_gives_it() -> None:
    labels = set(re.findall(r'label = "([A-Z-]+)"', (BUILD / "assemble").read_text()))
    mounted = {source.removeprefix("LABEL=") for source, _, _ in _fstab().values()
               if source.startswith("LABEL=")}
    assert labels == mounted == {"COURIERBOOT", "COURIER-ROOT", "COURIER-DATA"}


def test_root_is_read_only_and_state_lives_on_the_data_partition() -> None:
    fstab = _fstab()
    assert fstab["/"][2].split(",")[0] == "ro"
    assert fstab["/boot/firmware"][2].split(",")[0] == "ro"
    assert {"nosuid", "nodev", "noexec"} <= set(fstab["/data"][2].split(","))
    assert fstab["/var/lib/courier"][0] == "/data/courier"
    assert fstab["/var/lib/systemd"][0] == "/data/system"
    for scratch in ("/tmp", "/var/tmp", "/var/log"):
        assert fstab[scratch][1] == "tmpfs"


def test_uplinks_do_not_announce_the_device() -> None:
    network = (OVERLAY / "etc" / "systemd" / "network" / "50-uplink.network").read_text()
    assert network.count("SendHostname=no") == 2
    assert "wlan" not in network.split("[Network]")[0]  # the radio is the hotspot's
    resolved = (OVERLAY / "etc" / "systemd" / "resolved.conf.d" / "courier.conf").read_text()
    assert "MulticastDNS=no" in resolved and "LLMNR=no" in resolved


def test_image_installs_the_runtime_requirements_and_the_pi_extra() -> None:
    out = subprocess.run([sys.executable, str(BUILD / "requirements.py"), str(REPO / "setup.cfg"),
                          "pi"], capture_output=True, text=True, check=True).stdout.split()
    names = {re.split(r"[<>=]", line)[0] for line in out}
    assert {"grpcio", "cryptography", "zeroconf", "rpi-lgpio", "luma.oled"} <= names
    assert "pytest" not in names


def test_guest_command_line_keeps_the_image_root_and_moves_the_console() -> None:
    line = guest_cmdline("console=tty0 console=ttyS1,115200 root=LABEL=COURIER-ROOT rw "
                         "fsck.repair=yes")
    assert "root=LABEL=COURIER-ROOT" in line
    assert "console=ttyAMA0" in line and "ttyS1" not in line and "tty0" not in line
    run = re.search(r'systemd\.run="([^"]+)"', line)
    assert run and "LABEL=COURIER-PROBE" in run.group(1)


def test_two_root_slots_of_one_size_and_data_last() -> None:
    genimage = (BUILD / "assemble").read_text()
    order = re.findall(r"^    partition (\w+) \{", genimage, re.MULTILINE)
    assert order == ["boot", "root", "rootb", "data"]  # data last: grow-data grows the last one
    assert re.search(r"^slot_mb=1408$", genimage, re.MULTILINE)
    assert "size = ${root_mb}M" in genimage and "size = ${slot_mb}M" in genimage
    assert re.search(r"^root_mb=\$slot_mb$", genimage, re.MULTILINE)
    conf = (OVERLAY / "etc" / "rauc" / "system.conf").read_text()
    assert "device=/dev/disk/by-partuuid/c0021e4b-02" in conf  # slot A is partition 2
    assert "device=/dev/disk/by-partuuid/c0021e4b-03" in conf  # slot B is partition 3
    assert "disk-signature = 0xc0021e4b" in genimage


def test_slot_a_boot_files_are_laid_out_for_os_prefix(tmp_path: Path) -> None:
    root, kernel = tmp_path / "root", "6.1.0-57-arm64"
    firmware, dtbs = root / "boot" / "firmware", root / "usr" / "lib" / f"linux-image-{kernel}"
    (dtbs / "broadcom").mkdir(parents=True)
    firmware.mkdir(parents=True)
    for path in (root / "boot" / f"vmlinuz-{kernel}", root / "boot" / f"initrd.img-{kernel}",
                 dtbs / "broadcom" / "bcm2711-rpi-4-b.dtb"):
        path.write_text(path.name)
        shutil.copy(path, firmware / path.name)
    (firmware / "cmdline.txt").write_text(
        "console=tty0 console=ttyS1,115200 root=LABEL=COURIER-ROOT ro fsck.repair=yes  rootwait \n")
    (firmware / "config.txt").write_text(
        f"arm_64bit=1\nkernel=vmlinuz-{kernel}\ninitramfs initrd.img-{kernel}\n")
    subprocess.run([BUILD / "slot-boot-files", root, kernel], check=True)
    slot = root / "usr" / "lib" / "courier" / "slot-boot"
    assert sorted(p.name for p in slot.iterdir()) == sorted(
        p.name for p in (firmware / "slot-a").iterdir()) == [
        "bcm2711-rpi-4-b.dtb", "cmdline.txt", "initrd.img", "vmlinuz"]
    assert (slot / "vmlinuz").stat().st_ino == (root / "boot" / f"vmlinuz-{kernel}").stat().st_ino
    assert (firmware / "slot-a" / "cmdline.txt").read_text() == (
        "console=tty0 console=ttyS1,115200 root=PARTUUID=c0021e4b-02 ro fsck.repair=yes rootwait "
        "rauc.slot=A\n")
    assert {p.name for p in firmware.iterdir()} == {"slot-a", "cmdline.txt", "config.txt"}
    choice = choose("config.txt", (firmware / "config.txt").read_text(),
                    {str(p.relative_to(firmware)) for p in firmware.rglob("*")})
    assert (choice.kernel, choice.initramfs, choice.cmdline) == (
        "slot-a/vmlinuz", "slot-a/initrd.img", "slot-a/cmdline.txt")


def test_the_image_enables_the_update_pieces() -> None:
    script = (BUILD / "install-courier").read_text()
    assert "courier-update-health.service" in script
    assert '"$here/slot-boot-files" "$root" "$kernel"' in script
    assert re.search(r"^rauc-service$", (BUILD / "packages-base.txt").read_text(), re.MULTILINE)
