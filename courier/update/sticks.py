"""USB sticks as the update helper sees them: block devices on a USB bus, found in sysfs."""

import logging
import subprocess
from collections.abc import Callable
from pathlib import Path

LOG = logging.getLogger(__name__)
SYS_BLOCK = Path("/sys/class/block")
MOUNTINFO = Path("/proc/self/mountinfo")
MOUNT_OPTIONS = "ro,nosuid,nodev,noexec,noatime"
MAX_BUNDLES = 8  # a stick with more bundles than this is not an update stick: the newest 8


def usb_volumes(sys_block: Path = SYS_BLOCK, mountinfo: Path = MOUNTINFO,
                ours: Path | None = None) -> list[str]:
    """Return USB block devices that may hold a filesystem: partitions, unpartitioned disks.

    Devices mounted elsewhere than under `ours` (the helper's own stick mounts) are left out:
    a Pi booted from a USB disk is not an update stick.
    """
    found = []
    busy = mounted_numbers(mountinfo, ours)
    try:
        entries = sorted(sys_block.iterdir())
    except OSError:
        return []
    for entry in entries:
        try:
            real = str(entry.resolve())
            if "/usb" not in real or _size(entry) == 0:
                continue
            partitioned = any((child / "partition").exists() for child in entry.iterdir()
                              if child.is_dir() and child.name.startswith(entry.name))
        except OSError:
            continue  # gone while looked at: the next scan sees it settled
        if ((entry / "partition").exists() or not partitioned) and _number(entry) not in busy:
            found.append(entry.name)
    return found


def mounted_numbers(mountinfo: Path = MOUNTINFO, ours: Path | None = None) -> set[str]:
    """Return MAJOR:MINOR of mounted devices (mountinfo's 3rd field), but those under `ours`."""
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return set()
    mine = f"{ours}/" if ours is not None else None
    return {fields[2] for fields in (line.split() for line in lines)
            if len(fields) > 4 and not (mine and fields[4].startswith(mine))}


def _number(entry: Path) -> str:
    """Return a block device's MAJOR:MINOR from sysfs ("" when unreadable)."""
    try:
        return (entry / "dev").read_text().strip()
    except OSError:
        return ""


def _size(entry: Path) -> int:
    """Return the device's size in sectors (0 for an empty card reader)."""
    try:
        return int((entry / "size").read_text().strip() or 0)
    except ValueError:
        return 0


Run = Callable[..., "subprocess.CompletedProcess[str]"]


def mount_read_only(device: Path, target: Path, run: Run = subprocess.run) -> bool:
    """Mount a stick read-only, never executable; False when it holds no filesystem we read."""
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    done = run(["mount", "-o", MOUNT_OPTIONS, str(device), str(target)],
               capture_output=True, text=True, check=False, timeout=60)
    if done.returncode != 0:
        LOG.info("update: %s holds no filesystem to read (%s)", device.name,
                 done.stderr.strip().splitlines()[-1:] or "mount failed")
        return False
    return True


def unmount(target: Path, run: Run = subprocess.run) -> None:
    """Detach a stick's mount (lazily: it may already be gone) and remove the mount point."""
    run(["umount", "--lazy", str(target)], capture_output=True, text=True, check=False,
        timeout=60)
    try:
        target.rmdir()
    except OSError:
        LOG.warning("update: could not remove %s", target)


def bundles_on(root: Path) -> list[Path]:
    """Return the .raucb files at the top of a stick (regular files, not links), newest first."""
    try:
        found = [p for p in root.iterdir()
                 if p.suffix == ".raucb" and p.is_file() and not p.is_symlink()]
    except OSError:
        return []
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found[:MAX_BUNDLES]
