"""The Raspberry Pi firmware's part of a boot, for qemu: which kernel, initramfs and command line.

Read from the FAT boot partition as the firmware reads it (mtools, no mount): config.txt, or
tryboot.txt on a trial boot (the one-shot tryboot flag); its os_prefix is prepended to the kernel,
initramfs, device tree and cmdline.txt names, and ignored (as the firmware does) unless the
kernel and a device tree exist under it. Conditional sections are not evaluated: the image has
none.
"""

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BootChoice:
    """What the firmware loads: files on the boot partition, relative to its root."""

    config: str  # config.txt or tryboot.txt
    prefix: str
    kernel: str
    initramfs: str
    cmdline: str


def boot_partition(image: Path) -> int:
    """Return the byte offset of the first (boot, FAT) partition from the MBR."""
    table = json.loads(subprocess.run(["sfdisk", "--json", str(image)], capture_output=True,
                                      text=True, check=True).stdout)["partitiontable"]
    first = table["partitions"][0]
    return int(first["start"]) * int(table.get("sectorsize", 512))


def read_boot_file(image: Path, offset: int, name: str, target: Path) -> Path:
    """Copy one file out of the FAT boot partition with mtools (no mount)."""
    subprocess.run(["mcopy", "-n", "-i", f"{image}@@{offset}", f"::{name}", str(target)],
                   check=True, capture_output=True)
    return target


def boot_files(image: Path, offset: int) -> set[str]:
    """Return the path of every file on the boot partition ('slot-a/vmlinuz', ...)."""
    out = subprocess.run(["mdir", "-/", "-b", "-i", f"{image}@@{offset}", "::/"],
                         capture_output=True, text=True, check=True).stdout
    return {line.strip().removeprefix("::/") for line in out.splitlines() if line.strip()}


def settings(text: str) -> dict[str, str]:
    """Return config.txt's settings (the last one wins), 'initramfs FILE' as initramfs=FILE."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("initramfs "):
            found["initramfs"] = line.split()[1]
        elif "=" in line and not line.startswith("["):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def choose(config_name: str, config_text: str, files: set[str]) -> BootChoice:
    """Return what the firmware boots from this config file, given the partition's files."""
    found = settings(config_text)
    kernel = found.get("kernel", "kernel8.img")
    prefix = found.get("os_prefix", "")
    viable = f"{prefix}{kernel}" in files and any(
        name.startswith(prefix) and name.endswith(".dtb") and "/" not in name[len(prefix):]
        for name in files)
    if not viable:
        prefix = ""
    return BootChoice(config=config_name, prefix=prefix, kernel=prefix + kernel,
                      initramfs=prefix + found["initramfs"] if "initramfs" in found else "",
                      cmdline=prefix + found.get("cmdline", "cmdline.txt"))


def firmware_boot(image: Path, work: Path, *, trial: bool = False) -> tuple[BootChoice, str]:
    """Return the firmware's choice and the command line it passes, for a normal or trial boot."""
    offset = boot_partition(image)
    files = boot_files(image, offset)
    name = "tryboot.txt" if trial and "tryboot.txt" in files else "config.txt"
    text = read_boot_file(image, offset, name, work / name).read_text()
    choice = choose(name, text, files)
    cmdline = read_boot_file(image, offset, choice.cmdline, work / "cmdline.txt").read_text()
    return choice, cmdline.strip()
