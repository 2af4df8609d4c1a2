"""The Wi-Fi uplink's client on the radio (privileged side): wpa_supplicant, wpa_cli, dhclient.

The helper runs it only once the hotspot is closed: access point and client never at once on one
radio. Networks come from [[uplink.wifi]]; the rendered file holds PSKs, never passphrases.
"""

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from courier.config import UplinkWifi
from courier.errors import NetworkError
from courier.net.wpa import refused_key, render_wpa_supplicant, scan_results

LOG = logging.getLogger(__name__)


@dataclass
class ClientMode:
    """One Wi-Fi client session on `interface`: scan, join, address, leave."""

    interface: str
    networks: Sequence[UplinkWifi]
    country: str
    run_dir: Path
    programs: dict[str, str] = field(default_factory=lambda: {
        "wpa_supplicant": "wpa_supplicant", "wpa_cli": "wpa_cli", "dhclient": "dhclient",
        "ip": "ip"})
    # Addresses by Debian's script, name servers to systemd-resolved (the image's; see the file).
    dhclient_script: Path = Path("/usr/lib/courier/dhclient-script")
    _supplicant: asyncio.subprocess.Process | None = None

    @property
    def _control(self) -> Path:
        return self.run_dir / "wpa-uplink"

    @property
    def _log(self) -> Path:
        return self.run_dir / "wpa-uplink.log"

    @property
    def _conf(self) -> Path:
        return self.run_dir / "wpa-uplink.conf"

    @property
    def files(self) -> tuple[Path, ...]:
        """Return every path the client writes (courier-net's unit must allow each)."""
        return (self._conf, self._log, self._control, *self._dhclient_state)

    @property
    def _dhclient_state(self) -> tuple[Path, Path]:
        return self.run_dir / "dhclient-uplink.pid", self.run_dir / "dhclient-uplink.leases"

    async def scan(self, wait: float = 8.0) -> dict[str, int]:
        """Start the client if needed and return the networks in range (name -> dBm)."""
        await self._start()
        await self._cli("scan")
        deadline, found = time.monotonic() + wait, {}
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            found = scan_results(await self._cli("scan_results"))
            if found and "CTRL-EVENT-SCAN-RESULTS" in self._events(0):
                break
        return found

    async def join(self, name: str, wait: float = 25.0) -> bool | None:
        """Join a known network: True joined, False key refused, None not joined in time."""
        index = next((i for i, n in enumerate(self.networks) if n.name == name), None)
        if index is None:
            raise NetworkError("not a known Wi-Fi network")
        await self._start()
        mark = self._log.stat().st_size if self._log.exists() else 0
        await self._cli("select_network", str(index))
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            status = await self._cli("status")
            if "wpa_state=COMPLETED" in status and f"\nid={index}\n" in f"\n{status}":
                LOG.info("Wi-Fi uplink joined network %d", index)
                return True
            if refused_key(self._events(mark)):
                LOG.warning("Wi-Fi uplink: network %d refused the key", index)
                return False
        return None

    async def address(self, wait: float = 30.0) -> bool:
        """Ask DHCP for an address and default route on the interface; report success."""
        try:
            await asyncio.wait_for(self._run("dhclient", "-4", "-1", *self._dhclient_files(),
                                             self.interface), wait)
        except (TimeoutError, NetworkError) as error:
            LOG.warning("Wi-Fi uplink: no DHCP lease: %s", error)
            return False
        return True

    async def leave(self) -> None:
        """Release the lease, stop wpa_supplicant and clear the interface (idempotent)."""
        if self._supplicant is None:
            return  # never started, or already left: the interface may be the hotspot's
        with contextlib.suppress(NetworkError, TimeoutError):
            await asyncio.wait_for(self._run("dhclient", "-r", *self._dhclient_files(),
                                             self.interface), 10)
        process, self._supplicant = self._supplicant, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 5)
            except TimeoutError:
                process.kill()
                await process.wait()
        with contextlib.suppress(NetworkError):
            await self._run("ip", "addr", "flush", "dev", self.interface)
        LOG.info("Wi-Fi uplink left")

    def status(self) -> dict[str, object]:
        """Return whether the client runs (for the helper's status verb)."""
        running = self._supplicant is not None and self._supplicant.returncode is None
        return {"client": running, "interface": self.interface}

    async def _start(self) -> None:
        if self._supplicant is not None and self._supplicant.returncode is None:
            return
        self.run_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
        conf = self._conf
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(render_wpa_supplicant(self.networks, self.country, str(self._control)))
        self._log.unlink(missing_ok=True)
        await self._run("ip", "link", "set", self.interface, "up")
        self._supplicant = await asyncio.create_subprocess_exec(
            self.programs["wpa_supplicant"], "-i", self.interface, "-c", str(conf),
            "-f", str(self._log), stdin=asyncio.subprocess.DEVNULL)
        for _ in range(50):  # the control socket appears once it runs
            if (self._control / self.interface).exists():
                return
            await asyncio.sleep(0.1)
        raise NetworkError("wpa_supplicant did not start")

    def _events(self, offset: int) -> str:
        """Return wpa_supplicant's log after `offset` bytes (no secrets are ever in it)."""
        with contextlib.suppress(OSError), self._log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
        return ""

    def _dhclient_files(self) -> tuple[str, ...]:
        """Return dhclient's files: all in the run directory, the only one courier-net writes."""
        script = self.dhclient_script
        hook = ("-sf", str(script)) if os.access(script, os.X_OK) else ()  # else Debian's own
        pid, leases = self._dhclient_state
        return (*hook, "-pf", str(pid), "-lf", str(leases))

    async def _cli(self, *args: str) -> str:
        return await self._run("wpa_cli", "-p", str(self._control), "-i", self.interface, *args)

    async def _run(self, program: str, *args: str) -> str:
        try:
            process = await asyncio.create_subprocess_exec(
                self.programs[program], *args, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except OSError as error:
            raise NetworkError(f"cannot run {program}: {error}") from error
        out, err = await process.communicate()
        if process.returncode != 0:
            raise NetworkError(f"{program} failed: {err.decode(errors='replace').strip()[:200]}")
        return out.decode(errors="replace")
