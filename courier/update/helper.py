"""The update helper (root, courier-update.service): finds bundles, installs one when asked.

It watches for USB sticks (sysfs, every 2 s), mounts each read-only, checks every `.raucb` on it
with rauc (signature by the organisation's CA, not older than the running system), and checks
the bundle the daemon downloaded when asked. The newest acceptable bundle is offered to the
daemon in status.json; the daemon asks for it over control.sock once the courier confirmed on
the panel, naming the version it showed. Paths never come from the daemon: only what the helper
found itself is installed. After `rauc install` it reboots into the trial of the new slot.
"""

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from courier.update.bootsel import BootselError, current_slot
from courier.update.install import RAUC, UpdateRefusedError, check_bundle, parse_version
from courier.update.offer import Candidates, HelperStatus, Offer, write_status
from courier.update.refusal import refusal_words
from courier.update.sticks import (
    MOUNTINFO,
    SYS_BLOCK,
    bundles_on,
    mount_read_only,
    unmount,
    usb_volumes,
)

LOG = logging.getLogger(__name__)
DOWNLOAD = "download"
PROGRESS = re.compile(r"^\s*(\d{1,3})%\s+(.*)$")
REBOOT_PAUSE = 3.0  # seconds the panel shows "Restarting into X" before the reboot
Reboot = Callable[[], Awaitable[None]]


async def tryboot_reboot() -> None:
    """Reboot once into the trial slot: the kernel passes "0 tryboot" to the firmware."""
    process = await asyncio.create_subprocess_exec("systemctl", "reboot", "0 tryboot")
    await process.wait()


def booted_slot(cmdline: Path) -> str:
    """Return the slot booted, from rauc.slot= on the kernel command line ("" if none)."""
    try:
        return current_slot(cmdline.read_text())
    except (OSError, BootselError):
        return ""


class UpdateHelper:
    """Keeps the candidates and the status file; serves install requests."""

    def __init__(self, run_dir: Path, running: str, *, download: Path | None = None,
                 sys_block: Path = SYS_BLOCK, dev: Path = Path("/dev"),
                 rauc_args: tuple[str, ...] = (), install_argv: Sequence[str] = (RAUC, "install"),
                 mount: Callable[[Path, Path], bool] = mount_read_only,
                 unmount: Callable[[Path], None] = unmount,
                 reboot: Reboot = tryboot_reboot, cmdline: Path = Path("/proc/cmdline"),
                 compatible: str | None = None, mountinfo: Path = MOUNTINFO) -> None:
        self.run_dir, self.running, self.download = run_dir, running, download
        self._sys_block, self._dev, self._rauc_args = sys_block, dev, rauc_args
        self._install_argv, self._mount, self._unmount = tuple(install_argv), mount, unmount
        self._reboot, self._compatible, self._mountinfo = reboot, compatible, mountinfo
        self._sticks: dict[str, Path] = {}  # device name -> mount point
        self._candidates = Candidates()
        self.status = HelperStatus(slot=booted_slot(cmdline))
        self._lock = asyncio.Lock()  # one scan, check or install at a time

    def publish(self, **changes: Any) -> None:
        """Update the status (offer and refusals from the candidates) and write the file."""
        best = self._candidates.best()
        self.status = replace(self.status, offer=best[0] if best else None,
                              refused=self._candidates.all_refused(), **changes)
        write_status(self.run_dir, self.status)

    async def scan(self) -> None:
        """Attach sticks that appeared, forget those pulled out."""
        async with self._lock:
            present = set(await asyncio.to_thread(usb_volumes, self._sys_block, self._mountinfo,
                                                  self.run_dir))
            for name in sorted(set(self._sticks) - present):
                LOG.info("update: USB stick %s removed", name)
                await asyncio.to_thread(self._unmount, self._sticks.pop(name))
                self._candidates.drop(name)
                self.publish()
            for name in sorted(present - set(self._sticks)):
                target = self.run_dir / f"stick-{name}"
                self._sticks[name] = target
                if await asyncio.to_thread(self._mount, self._dev / name, target):
                    LOG.info("update: USB stick %s mounted read-only", name)
                    await self._check_all(name, await asyncio.to_thread(bundles_on, target), "usb")
                self.publish()

    async def check_download(self) -> dict[str, Any]:
        """Check the bundle the daemon downloaded (its fixed path) and offer it if acceptable."""
        if self.download is None:
            return {"error": "this device takes no downloaded updates"}
        async with self._lock:
            found = [self.download] if self.download.is_file() else []
            await self._check_all(DOWNLOAD, found, "download")
            self.publish()
        offer = self._candidates.offers.get(DOWNLOAD)
        if offer is None:
            return {"offer": None, "refused": self._candidates.refused.get(DOWNLOAD, [])}
        return {"offer": offer.version}

    async def _check_all(self, where: str, bundles: list[Path], source: str) -> None:
        """Check bundles from one place; keep the newest acceptable one as its candidate."""
        previous = self._candidates.offers.get(where)  # a download checked again
        self._candidates.drop(where)
        best: tuple[tuple[int, ...], Offer, Path] | None = None
        refused: list[str] = []
        for bundle in bundles:
            try:
                version = await asyncio.to_thread(check_bundle, bundle, self.running,
                                                  self._rauc_args, self._compatible)
            except UpdateRefusedError as error:
                LOG.warning("update: %s", error)
                refused.append(f"{bundle.name}: {refusal_words(str(error))}")
                continue
            if parse_version(version) == parse_version(self.running):
                LOG.info("update: %s is the version running (%s)", bundle.name, version)
                continue
            key = parse_version(version)
            if best is None or key > best[0]:
                best = (key, Offer(version, source, bundle.name[:200]), bundle)
        if best is not None:
            LOG.info("update: %s offers version %s", best[1].name, best[1].version)
            self._candidates.put(where, best[1], best[2], previous)
        if refused:
            self._candidates.refused[where] = refused

    async def install(self, version: str) -> dict[str, Any]:
        """Install the offered bundle of `version`, then reboot into its trial."""
        if self.status.state in ("installing", "rebooting"):
            return {"error": "an update is already being installed"}
        async with self._lock:
            best = self._candidates.best()
            if best is None or best[0].version != version:
                return {"error": f"no update {version[:40]} is offered"}
            offer, bundle = best
            LOG.info("update: installing %s over %s from %s", offer.version, self.running,
                     offer.source)
            self.publish(state="installing", percent=0, words="Checking bundle",
                          attempt=self.status.attempt + 1)
            why = await self._run_install(bundle)
            if why is not None:
                LOG.error("update: install of %s failed: %s", offer.version, why)
                self.publish(state="failed", percent=None, words=why[:120])
                return {"error": why}
            self.publish(state="rebooting", percent=100,
                          words=f"Restarting into {offer.version}")
        LOG.info("update: %s installed, rebooting into its trial", offer.version)
        await asyncio.sleep(REBOOT_PAUSE)
        await self._reboot()
        return {"ok": True, "version": offer.version}

    async def _run_install(self, bundle: Path) -> str | None:
        """Run `rauc install`, publishing its progress; return why it failed, or None."""
        process = await asyncio.create_subprocess_exec(
            *self._install_argv, str(bundle), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT)
        assert process.stdout is not None
        last = ""
        async for raw in process.stdout:
            line = raw.decode(errors="replace").strip()
            found = PROGRESS.match(line)
            if found:
                self.publish(percent=min(100, int(found.group(1))),
                              words=found.group(2)[:60])
            elif line:
                last = line
        code = await process.wait()
        if code != 0:
            LOG.error("update: rauc install exited with %d: %s", code, last[:300])
            return refusal_words(last) if last else f"rauc install exited with {code}"
        return None

    async def handle(self, request: dict[str, Any], _emit: Callable[[dict[str, Any]], None],
                     ) -> dict[str, Any]:
        """Answer one control request: install VERSION, or check-download."""
        command = request.get("command")
        if command == "install" and isinstance(request.get("version"), str):
            return await self.install(request["version"])
        if command == "check-download":
            return await self.check_download()
        return {"error": "unknown request"}

    async def close(self) -> None:
        """Unmount every stick (on stop)."""
        for name in sorted(self._sticks):
            await asyncio.to_thread(self._unmount, self._sticks.pop(name))
