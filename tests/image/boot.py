"""Boot the SD image itself in qemu-system-aarch64 and check it serves (the image smoke test).

Usage: .venv/bin/python -m tests.image.boot [IMAGE]   (default image-build/out/courier.img)
The kernel, initramfs and command line are read from the image's boot partition as the Pi's
firmware reads them (tests/image/firmware.py: config.txt's os_prefix, the slot's cmdline.txt).
The disk is a copy-on-write overlay one GiB larger than the image (qemu -snapshot on top): the
image file is never written, and the first boot grows the data partition. guest-check.sh
reports on the console; once the courier serves, the official
@relaycorp/cogrpc client delivers cargo through qemu's user network and a forwarded port. qemu and
the client run in a network namespace where that port is 10.97.0.1:21473, the hotspot address a
phone dials and the courier's certificate names (so this needs root).
"""

import json
import os
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tests.image.firmware import boot_partition, firmware_boot, read_boot_file
from tests.imager_files import FORMATS, PRISTINE_CMDLINE
from tests.net.netns import Netns

if TYPE_CHECKING:
    from tests.cogrpc.conftest import World

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DRIVER = REPO / "tests" / "js" / "private-gateway" / "driver.mjs"
DEFAULT_IMAGE = REPO / "image-build" / "out" / "courier.img"
BOOT_TIMEOUT = 1200.0
HOTSPOT_ADDRESS = "10.97.0.1"  # the courier's default hotspot address, in its TLS certificate
PORT = 21473
TEMPLATE_WIFI = '#[[uplink.wifi]]\n#name = "Office Wi-Fi"\n#passphrase = "the office passphrase"'
ORGANISER_WIFI = '[[uplink.wifi]]\nname = "Office Wi-Fi"\npassphrase = "office-secret-99"'


@dataclass
class BootReport:
    """What the guest said, and what the host saw."""

    smoke: dict[str, str] = field(default_factory=dict)
    delivery: dict[str, object] = field(default_factory=dict)
    seconds_to_serving: float = 0.0
    seconds_total: float = 0.0
    exit_code: int | None = None
    console_tail: list[str] = field(default_factory=list)


def kernel_files(image: Path, work: Path, *, trial: bool = False) -> tuple[Path, Path, str]:
    """Return the kernel, initramfs and command line that the Pi's firmware would boot."""
    choice, cmdline = firmware_boot(image, work, trial=trial)
    assert choice.initramfs, f"{choice.config} names no initramfs"
    offset = boot_partition(image)
    return (read_boot_file(image, offset, choice.kernel, work / "vmlinuz"),
            read_boot_file(image, offset, choice.initramfs, work / "initrd.img"), cmdline)


def guest_cmdline(image_cmdline: str, script: str = "guest-check.sh") -> str:
    """Return the image's command line on qemu's serial port, running the probe disk's script.

    On a card customised by Imager, its systemd.run= (firstrun.sh) gives way to the check, but
    its systemd.unit=kernel-command-line.target stays: the courier must bring itself up.
    """
    kept = [arg for arg in image_cmdline.split()
            if not arg.startswith(("console=", "quiet", "systemd.run="))]
    check = f"mount -o ro LABEL=COURIER-PROBE /mnt && exec /bin/sh /mnt/{script}"
    diverted = "systemd.unit=kernel-command-line.target" in kept
    return " ".join([*kept, "console=ttyAMA0", "panic=-1", "systemd.show_status=1",
                     f"systemd.run=\"/bin/sh -c '{check}'\"",
                     *([] if diverted else ["systemd.wants=multi-user.target"])])


def imager_card(image: Path, work: Path) -> Path:
    """Return a copy of the image customised as Raspberry Pi Imager customises a card.

    Its files and cmdline.txt words (tests/imager_files.py, init format "systemd"), and an
    organiser's courier.toml with an uplink passphrase in it. The image itself is not written.
    """
    card = work / "imager.img"
    subprocess.run(["cp", "--sparse=always", str(image), str(card)], check=True, timeout=600)
    offset = boot_partition(card)
    files, cmdline, *_ = FORMATS["systemd"]
    shipped = read_boot_file(card, offset, "courier.toml", work / "courier.toml").read_text()
    assert TEMPLATE_WIFI in shipped, "the image ships no settings template"
    edited = {**files, "cmdline.txt": read_boot_file(card, offset, "cmdline.txt",
                                                     work / "cmdline.txt").read_text().strip()
              + cmdline.removeprefix(PRISTINE_CMDLINE) + "\n",
              "courier.toml": shipped.replace(TEMPLATE_WIFI, ORGANISER_WIFI)}
    for name, text in edited.items():
        (work / "put").write_text(text)
        subprocess.run(["mcopy", "-o", "-i", f"{card}@@{offset}", str(work / "put"),
                        f"::{name}"], check=True, capture_output=True, timeout=60)
    return card


def probe_disk(work: Path) -> Path:
    """Return a small read-only ext4 disk labelled COURIER-PROBE holding guest-check.sh."""
    folder = work / "probe"
    folder.mkdir()
    shutil.copy(HERE / "guest-check.sh", folder / "guest-check.sh")
    disk = work / "probe.img"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", "COURIER-PROBE", "-d", str(folder),
                    str(disk), "8M"], check=True)
    return disk


def overlay(image: Path, work: Path) -> Path:
    """Return a qcow2 overlay of the image, one GiB larger (the card is bigger than the image)."""
    disk = work / "card.qcow2"
    size = image.stat().st_size + (1 << 30)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(image.resolve()),
                    "-F", "raw", str(disk), str(size)], check=True)
    return disk


def qemu_argv(image: Path, work: Path) -> list[str]:
    """Return the qemu command line booting the image (customised by Imager) with its kernel."""
    image = imager_card(image, work)
    kernel, initrd, cmdline = kernel_files(image, work)
    return ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1024",
            "-nographic", "-no-reboot", "-snapshot", "-kernel", str(kernel), "-initrd", str(initrd),
            "-append", guest_cmdline(cmdline),
            "-drive", f"if=none,id=card,file={overlay(image, work)},format=qcow2",
            "-device", "virtio-blk-pci,drive=card",
            "-drive", f"if=none,id=probe,file={probe_disk(work)},format=raw,readonly=on",
            "-device", "virtio-blk-pci,drive=probe",
            "-netdev", f"user,id=net0,hostfwd=tcp:{HOTSPOT_ADDRESS}:{PORT}-:{PORT}",
            "-device", "virtio-net-pci,netdev=net0"]


def lines(process: "subprocess.Popen[bytes]", deadline: float) -> Iterator[str]:
    """Yield console lines until qemu exits or the deadline passes."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    buffer = b""
    while time.monotonic() < deadline:
        if not selector.select(timeout=1.0):
            if process.poll() is not None:
                break
            continue
        chunk = os.read(process.stdout.fileno(), 65536)
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            yield raw.decode(errors="replace").replace("\r", "")
    selector.close()


def deliver(phone: Netns, work: Path) -> dict[str, object]:
    """Make cargo with the official library and deliver it with the official client."""
    world = work / "world"
    # A small cargo, and one big enough to be written with O_DIRECT on the guest's ext4.
    spec = {"gateways": 1, "outbound": [4096, 1024 * 1024], "inbound": []}
    manifest = cast("World", _node("make-world", str(world), json.dumps(spec)))  # driver.mjs
    gateway = manifest["gateways"][0]
    files = [str(world / name) for name in gateway["outbound"]]
    answer = _node("deliver", f"{HOTSPOT_ADDRESS}:{PORT}", *files, netns=phone)
    answer["sent"] = files
    return answer


def _node(*args: str, netns: Netns | None = None) -> dict[str, object]:
    prefix = [] if netns is None else ["ip", "netns", "exec", netns.name]
    result = subprocess.run([*prefix, "node", str(DRIVER), *args], cwd=DRIVER.parent.parent,
                            capture_output=True, text=True, timeout=300, check=False)
    out = result.stdout.strip().splitlines()
    if not out:
        raise RuntimeError(f"driver failed: {result.stderr[-2000:]}")
    answer: dict[str, object] = json.loads(out[-1])
    return answer


def boot(image: Path, timeout: float = BOOT_TIMEOUT) -> BootReport:
    """Boot the image, deliver cargo when it serves, and return the report."""
    report = BootReport()
    with tempfile.TemporaryDirectory(prefix="courier-boot-") as folder:
        work = Path(folder)
        argv = qemu_argv(image, work)
        phone = Netns("phone")
        phone.run("ip", "addr", "add", f"{HOTSPOT_ADDRESS}/32", "dev", "lo")
        started = time.monotonic()
        process = subprocess.Popen(["ip", "netns", "exec", phone.name, *argv],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        try:
            for line in lines(process, started + timeout):
                report.console_tail = [*report.console_tail[-199:], line]
                print(line, flush=True)
                found = re.search(r"SMOKE (\S+) ?(.*)$", line)
                if not found:
                    continue
                report.smoke[found.group(1)] = found.group(2).strip()
                if found.group(1) == "serving":
                    report.seconds_to_serving = time.monotonic() - started
                    report.delivery = deliver(phone, work)
                    print(f"HOST delivery {json.dumps(report.delivery)}", flush=True)
                if found.group(1) == "done":
                    report.exit_code = process.wait(timeout=120)
                    break
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
            phone.remove()
        report.seconds_total = time.monotonic() - started
    return report


def main() -> int:
    """Boot the image given on the command line (or the last one built) and print a summary."""
    image = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_IMAGE
    if not image.exists():
        print(f"no image at {image}: build one with image-build/build-image", file=sys.stderr)
        return 2
    report = boot(image)
    print(json.dumps({"smoke": report.smoke, "delivery": report.delivery,
                      "seconds_to_serving_host": round(report.seconds_to_serving, 1),
                      "seconds_total": round(report.seconds_total, 1),
                      "exit_code": report.exit_code}, indent=2))
    return 0 if "done" in report.smoke else 1


if __name__ == "__main__":
    sys.exit(main())
