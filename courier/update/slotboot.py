"""RAUC post-install handler: copy the installed slot's boot files into its slot-x/ directory."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from courier.update.bootsel import DEFAULT_BOOT, BootPartition, BootselError, prefix_of

PARTUUIDS = {"A": "c0021e4b-02", "B": "c0021e4b-03"}
SLOT_BOOT = "usr/lib/courier/slot-boot"
MOUNT = "/usr/bin/mount"
UMOUNT = "/usr/bin/umount"


def cmdline_for(text: str, bootname: str) -> str:
    """Return a kernel command line rooted on the slot's partition and naming the slot."""
    words = [w for w in text.split() if not w.startswith(("root=", "rauc.slot="))]
    root = f"root=PARTUUID={PARTUUIDS[bootname]}"
    return " ".join([root, *words, f"rauc.slot={bootname}"]) + "\n"


def install_boot_files(src: Path, boot: BootPartition, bootname: str) -> Path:
    """Replace slot-x/ with `src` (kernel, initrd, dtbs, cmdline), never the committed slot's."""
    if bootname == boot.committed():
        raise BootselError(f"slot {bootname} is the committed system, its boot files stay")
    target = boot.root / prefix_of(bootname).rstrip("/")
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(src, staging, copy_function=shutil.copyfile)
    cmdline = staging / "cmdline.txt"
    cmdline.write_text(cmdline_for(cmdline.read_text(), bootname))
    for path in staging.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def main() -> int:
    """Post-install handler entry: for each target slot, mount it and copy its boot files."""
    boot = BootPartition(Path(os.environ.get("COURIER_BOOT_DIR", DEFAULT_BOOT)))
    for n in os.environ.get("RAUC_TARGET_SLOTS", "").split():
        device = os.environ[f"RAUC_SLOT_DEVICE_{n}"]
        bootname = os.environ[f"RAUC_SLOT_BOOTNAME_{n}"]
        with tempfile.TemporaryDirectory(prefix="courier-slot-") as mnt:
            subprocess.run([MOUNT, "-o", "ro", device, mnt], check=True)  # noqa: S603
            try:
                target = install_boot_files(Path(mnt) / SLOT_BOOT, boot, bootname)
            finally:
                subprocess.run([UMOUNT, mnt], check=True)  # noqa: S603
        print(f"courier-slotboot: boot files of slot {bootname} written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
