"""A fake board for the update helper: sysfs with USB disks, sticks' files, a scripted rauc.

Mounting a real USB stick and `rauc install` need the device (tests/image/test_update.py runs
them in qemu); here the mount copies the stick's files and a script plays `rauc install`.
Bundles are real (make-bundle) and checked by real `rauc info`.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from courier.update.helper import UpdateHelper

BUILD = Path(__file__).resolve().parents[2] / "image-build"
needs_rauc = pytest.mark.skipif(shutil.which("rauc") is None, reason="needs rauc")


FAKE_RAUC = """#!/bin/sh
echo "$@" > "$(dirname "$0")/installed"
echo "  0% Installing"
echo " 40% Copying image to rootfs.1"
[ -e "$(dirname "$0")/fail" ] && { echo "Installing failed: not enough space"; exit 1; }
echo "100% Installing done."
"""


def make_bundles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bundles 0.1.0 and 0.3.0 of the org, 0.4.0 of another CA, and garbage."""
    path = tmp_path_factory.mktemp("bundles")
    for org in ("org", "other"):
        subprocess.run([BUILD / "make-update-keys", path / org, org], check=True,
                       capture_output=True)
    (path / "fs").mkdir()
    (path / "fs/blob").write_bytes(os.urandom(100_000))
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", path / "fs", path / "root.ext4", "8M"],
                   check=True)
    for version, org in (("0.1.0", "org"), ("0.3.0", "org"), ("0.4.0", "other")):
        subprocess.run([BUILD / "make-bundle", path / "root.ext4", version, path / org,
                        path / f"courier-{version}.raucb"], check=True, capture_output=True)
    (path / "garbage.raucb").write_bytes(os.urandom(5000))
    return path


class Board:
    """A fake sysfs with USB and other disks, sticks' files, a fake rauc install, reboots."""

    def __init__(self, root: Path) -> None:
        self.root, self.sys_block = root, root / "sys/class/block"
        self.sys_block.mkdir(parents=True)
        self.sticks: dict[str, list[Path]] = {}
        self.mounted: list[str] = []
        self.unmounted: list[str] = []
        self.reboots = 0
        self.rauc = root / "bin/rauc-install"
        self.rauc.parent.mkdir()
        self.rauc.write_text(FAKE_RAUC)
        self.rauc.chmod(0o755)

    def disk(self, name: str, parts: tuple[str, ...] = (), usb: bool = True) -> None:
        """Add a disk (with partitions) under a USB or a PCI controller."""
        bus = "usb1/1-1/1-1:1.0/host0" if usb else "ata1/host1"
        device = self.root / f"sys/devices/pci0/{bus}/block/{name}"
        device.mkdir(parents=True, exist_ok=True)
        (device / "size").write_text("7864320\n")
        (device / "dev").write_text("8:0\n")
        (self.sys_block / name).symlink_to(device)
        for part in parts:
            (device / part).mkdir(exist_ok=True)
            (device / part / "partition").write_text("1\n")
            (device / part / "size").write_text("7862272\n")
            (device / part / "dev").write_text(f"8:{part[-1]}\n")
            (self.sys_block / part).symlink_to(device / part)

    def pull(self, name: str, parts: tuple[str, ...] = ()) -> None:
        """Remove a disk and its partitions."""
        for entry in (name, *parts):
            (self.sys_block / entry).unlink()

    def mount(self, device: Path, target: Path) -> bool:
        """Play mount: the stick's files appear at the target."""
        if device.name not in self.sticks:
            return False
        target.mkdir(parents=True, exist_ok=True)
        for bundle in self.sticks[device.name]:
            shutil.copy(bundle, target / bundle.name)
        self.mounted.append(device.name)
        number = (self.sys_block / device.name / "dev").read_text().strip()
        with (self.root / "mountinfo").open("a") as mountinfo:  # as the kernel shows it
            mountinfo.write(f"40 22 {number} / {target} ro - vfat {device} ro\n")
        return True

    def unmount(self, target: Path) -> None:
        """Play umount."""
        self.unmounted.append(target.name)
        shutil.rmtree(target)
        mountinfo = self.root / "mountinfo"
        kept = [line for line in mountinfo.read_text().splitlines() if f" {target} " not in line]
        mountinfo.write_text("".join(f"{line}\n" for line in kept))

    async def reboot(self) -> None:
        """Count reboots."""
        self.reboots += 1


def helper_for(board: Board, made: Path, download: Path | None = None,
               running: str = "0.2.0",
               compatible: str | None = "relaynet-courier-pi-arm64") -> UpdateHelper:
    """A helper running `running` that trusts the org's CA."""
    run_dir = board.root / "run"
    run_dir.mkdir(exist_ok=True)
    return UpdateHelper(run_dir, running, download=download, sys_block=board.sys_block,
                        rauc_args=(f"--keyring={made / 'org/ca.cert.pem'}",),
                        install_argv=(str(board.rauc),), mount=board.mount,
                        unmount=board.unmount, reboot=board.reboot, compatible=compatible,
                        mountinfo=board.root / "mountinfo")
