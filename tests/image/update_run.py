"""An A/B system update of the SD image in qemu, boot after boot, the harness playing the firmware.

One card (a sparse copy of the image, one GiB larger, written by the guest) and one USB stick
(a FAT disk image holding the bundles) stay attached across boots. Before each boot the harness
reads the card's boot partition as the Pi firmware does (tests/image/firmware.py): config.txt, or
tryboot.txt when the previous boot ended with the kernel passing "0 tryboot" to the firmware
(the message `reboot: Restarting system with command '0 tryboot'`). The guest runs
guest-update.sh with the stage the test gives; the official JS client delivers cargo each time
the guest says "SMOKE serving".
"""

import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.image.boot import (
    HERE,
    HOTSPOT_ADDRESS,
    PORT,
    deliver,
    guest_cmdline,
    kernel_files,
    lines,
)
from tests.net.netns import Netns

TRYBOOT = re.compile(r"reboot: Restarting system with command '0 tryboot'")
BOOT_TIMEOUT = 1500.0


@dataclass
class Boot:
    """One boot: what the firmware chose, what the guest said, how it ended."""

    stage: str
    trial: bool
    smoke: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    deliveries: list[dict[str, object]] = field(default_factory=list)
    tryboot_requested: bool = False
    exit_code: int | None = None
    seconds: float = 0.0
    console_tail: list[str] = field(default_factory=list)


def make_card(image: Path, work: Path) -> Path:
    """Return a writable sparse copy of the image, one GiB larger (the card is bigger)."""
    card = work / "card.img"
    subprocess.run(["cp", "--sparse=always", str(image), str(card)], check=True, timeout=600)
    with card.open("r+b") as disk:
        disk.truncate(card.stat().st_size + (1 << 30))
    return card


def usb_stick(bundles: list[Path], work: Path) -> Path:
    """Return a FAT disk image labelled COURIERUSB holding the bundles (mkfs.vfat + mcopy)."""
    work.mkdir(parents=True, exist_ok=True)
    stick = work / "stick.img"
    size = sum(b.stat().st_size for b in bundles) + (64 << 20)
    with stick.open("wb") as disk:
        disk.truncate(size)
    subprocess.run(["mkfs.vfat", "-F", "32", "-n", "COURIERUSB", str(stick)], check=True,
                   capture_output=True)
    for bundle in bundles:
        subprocess.run(["mcopy", "-i", str(stick), str(bundle), f"::{bundle.name}"], check=True,
                       timeout=600)
    return stick


def probe(stage: str, work: Path) -> Path:
    """Return the read-only ext4 disk COURIER-PROBE with guest-update.sh and this boot's stage."""
    folder = work / "probe"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy(HERE / "guest-update.sh", folder / "guest-update.sh")
    (folder / "stage").write_text(stage + "\n")
    disk = work / "probe.img"
    disk.unlink(missing_ok=True)
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", "COURIER-PROBE", "-d", str(folder),
                    str(disk), "8M"], check=True)
    return disk


def qemu_argv(card: Path, stick: Path, work: Path, stage: str, *, trial: bool) -> list[str]:
    """Return the qemu command line of one boot of the card, as the firmware would start it."""
    kernel, initrd, cmdline = kernel_files(card, work, trial=trial)
    return ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1024",
            "-nographic", "-no-reboot", "-kernel", str(kernel), "-initrd", str(initrd),
            "-append", guest_cmdline(cmdline, "guest-update.sh"),
            "-drive", f"if=none,id=card,file={card},format=raw",
            "-device", "virtio-blk-pci,drive=card",
            "-drive", f"if=none,id=probe,file={probe(stage, work)},format=raw,readonly=on",
            "-device", "virtio-blk-pci,drive=probe",
            "-drive", f"if=none,id=stick,file={stick},format=raw,readonly=on",
            "-device", "qemu-xhci", "-device", "usb-storage,drive=stick",
            "-netdev", f"user,id=net0,hostfwd=tcp:{HOTSPOT_ADDRESS}:{PORT}-:{PORT}",
            "-device", "virtio-net-pci,netdev=net0"]


def run_boot(card: Path, stick: Path, work: Path, phone: Netns, stage: str, *,
             trial: bool) -> Boot:
    """Boot the card once (until the guest powers off or reboots) and return what happened."""
    boot = Boot(stage=stage, trial=trial)
    argv = qemu_argv(card, stick, work, stage, trial=trial)
    started = time.monotonic()
    process = subprocess.Popen(["ip", "netns", "exec", phone.name, *argv],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        for line in lines(process, started + BOOT_TIMEOUT):
            boot.console_tail = [*boot.console_tail[-299:], line]
            print(line, flush=True)
            if TRYBOOT.search(line):
                boot.tryboot_requested = True
            # Anywhere in the line: systemd's "A start job is running" status is written without
            # a newline while the guest's own start job runs, so a line may begin with it.
            logged = re.search(r"SMOKE-LOG (.*)$", line)
            if logged:
                boot.logs.append(logged.group(1))
                continue
            found = re.search(r"SMOKE (\S+) ?(.*)$", line)
            if not found:
                continue
            boot.smoke[found.group(1)] = found.group(2).strip()
            if found.group(1) == "serving":
                boot.deliveries.append(deliver(phone, work))
        boot.exit_code = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    boot.seconds = time.monotonic() - started
    return boot


def run_update(image: Path, good: Path, broken: Path, foreign: Path,
               versions: tuple[str, str]) -> list[Boot]:
    """Slot A takes cargo, is offered `good` from a stick also holding `foreign` (refused), and
    installs it; its trial commits; then `broken` (on a second stick) fails its trial.

    Returns the boots: A installing, the new slot on trial (committed), the broken trial,
    and the boot after it (the slot that was running).
    """
    boots: list[Boot] = []
    with_work = Path(subprocess.run(["mktemp", "-d", "/tmp/courier-update-XXXXXX"],
                                    capture_output=True, text=True, check=True).stdout.strip())
    phone = Netns("phone")
    try:
        phone.run("ip", "addr", "add", f"{HOTSPOT_ADDRESS}/32", "dev", "lo")
        card = make_card(image, with_work)
        first = usb_stick([good, foreign], with_work / "first")
        second = usb_stick([broken], with_work / "second")
        trial = False
        stages = ((f"install {versions[0]}", first), ("trial", first),
                  (f"install {versions[1]}", second), ("trial", second), ("final", second))
        for stage, stick in stages:
            if stage == "trial" and not trial:
                break  # the install did not ask for a trial boot: nothing more to see
            boot = run_boot(card, stick, with_work, phone, stage, trial=trial)
            boots.append(boot)
            trial = boot.tryboot_requested
            if stage == "trial" and "done" not in boot.smoke and not trial:
                # A failed trial reboots normally: the firmware reads config.txt again.
                boots.append(run_boot(card, stick, with_work, phone, "final", trial=False))
                break
    finally:
        phone.remove()
        shutil.rmtree(with_work, ignore_errors=True)
    return boots
