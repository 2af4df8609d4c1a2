"""The privileged network helper: firewall, hotspot address, dnsmasq and hostapd, on request.

It runs as its own small service with CAP_NET_ADMIN (and what dnsmasq/hostapd need), so the daemon
that parses network input holds no capabilities. The daemon asks for the hotspot over a Unix socket
with fixed verbs only: "open", "close", "status"; nothing from the network reaches this process.
"""

import asyncio
import contextlib
import grp
import json
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from courier.errors import NetworkError
from courier.net.addressing import configure_interface, deconfigure_interface, is_wireless
from courier.net.client_verbs import UPLINK_VERBS, Client, uplink_verb
from courier.net.credentials import WifiCredentials
from courier.net.plan import HotspotPlan
from courier.net.radio import choose_channel, usable_channels
from courier.net.render import (
    NFT_TABLE,
    RadioSettings,
    render_dnsmasq,
    render_hostapd,
    render_nftables,
)

LOG = logging.getLogger(__name__)
VERBS = frozenset({"open", "close", "status"}) | UPLINK_VERBS
_MAX_REQUEST = 128  # "uplink-join" and a 32-byte name in hex


def daemon_group(name: str = "courier") -> str | None:
    """Return the daemon's group if this system has it (the device does; a laptop may not)."""
    try:
        grp.getgrnam(name)
    except KeyError:
        return None
    return name


@dataclass
class NetSetup:
    """Owns the firewall table, the hotspot address and the dnsmasq/hostapd processes."""

    plan: HotspotPlan
    credentials: WifiCredentials
    radio: RadioSettings
    run_dir: Path
    lan_interfaces: tuple[str, ...] = ()
    client: Client | None = None  # the Wi-Fi uplink on the hotspot's radio, when networks are set
    programs: dict[str, str] = field(default_factory=lambda: {
        "nft": "nft", "dnsmasq": "dnsmasq", "hostapd": "hostapd", "iw": "iw"})
    _children: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        """Tell whether the hotspot is being served."""
        return "dnsmasq" in self._children

    async def start(self) -> None:
        """Install the firewall (hotspot and LAN rules apply whether or not a session is open)."""
        self.run_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
        script = render_nftables([self.plan.interface], self.lan_interfaces)
        await self._run(self.programs["nft"], "-f", "-", stdin=script.encode())
        LOG.info("firewall installed on %s", [self.plan.interface, *self.lan_interfaces])

    async def open_hotspot(self) -> None:
        """Address the hotspot interface and start hostapd (radios only) and dnsmasq."""
        if self.is_open:
            return
        if self.client is not None:
            await self.client.leave()  # access point and client never at once on one radio
        await configure_interface(self.plan.interface, self.plan.address, self.plan.prefixlen)
        if is_wireless(self.plan.interface):
            conf = self._write("hostapd.conf", render_hostapd(
                self.plan, self.credentials, await self._radio(), str(self.run_dir / "hostapd"),
                daemon_group()))
            await self._spawn("hostapd", self.programs["hostapd"], str(conf))
        conf = self._write("dnsmasq.conf", render_dnsmasq(self.plan, str(self.run_dir)))
        await self._spawn("dnsmasq", self.programs["dnsmasq"], "--keep-in-foreground",
                          "--log-facility=-", f"--conf-file={conf}")
        LOG.info("hotspot open on %s at %s", self.plan.interface, self.plan.address)

    async def close_hotspot(self) -> None:
        """Stop dnsmasq and hostapd and remove the hotspot address."""
        for name in ("dnsmasq", "hostapd"):
            process = self._children.pop(name, None)
            if process is not None:
                await _terminate(process)
        await deconfigure_interface(self.plan.interface, self.plan.address, self.plan.prefixlen)
        LOG.info("hotspot closed")

    async def stop(self) -> None:
        """Close the hotspot and remove the firewall table."""
        await self.close_hotspot()
        with contextlib.suppress(NetworkError):
            await self._run(self.programs["nft"], "delete", "table", "inet", NFT_TABLE)

    async def handle(self, verb: str, argument: str = "") -> dict[str, object]:
        """Carry out one control verb and return the status."""
        if verb in UPLINK_VERBS:
            return await uplink_verb(self.client, self.is_open, verb, argument)
        if verb == "open":
            await self.open_hotspot()
        elif verb == "close":
            await self.close_hotspot()
        return {"open": self.is_open, "interface": self.plan.interface,
                "address": str(self.plan.address)}

    async def serve_control(self, socket_path: Path) -> asyncio.Server:
        """Serve the control socket (mode 0660: the daemon's group may use it)."""
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()
        server = await asyncio.start_unix_server(self._client, path=str(socket_path))
        os.chmod(socket_path, 0o660)
        return server

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=5)
            text = line[:_MAX_REQUEST].decode("ascii", "replace").strip()
            verb, _, argument = text.partition(" ")
            if verb not in VERBS:
                reply: dict[str, object] = {"error": "unknown verb"}
            else:
                reply = await self.handle(verb, argument)
        except (TimeoutError, ConnectionError):
            reply = {"error": "timeout"}
        except NetworkError as error:
            reply = {"error": str(error)}
        with contextlib.suppress(ConnectionError):
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
        writer.close()

    async def _radio(self) -> RadioSettings:
        """Return the radio settings with a channel the country and the radio allow."""
        usable = None
        if self.radio.country and self.radio.channel >= 36:  # does the board have this 5 GHz?
            with contextlib.suppress(NetworkError, OSError):
                await self._run(self.programs["iw"], "reg", "set", self.radio.country.upper())
                phy = Path(f"/sys/class/net/{self.plan.interface}/phy80211/name").read_text()
                usable = usable_channels(await self._output(
                    self.programs["iw"], "phy", phy.strip(), "info"))
        channel, why = choose_channel(self.radio.country, self.radio.channel, usable)
        if why:
            LOG.warning("%s", why)
        return replace(self.radio, channel=channel)

    @staticmethod
    async def _output(*argv: str) -> str:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        out, _ = await process.communicate()
        return out.decode(errors="replace")

    def _write(self, name: str, text: str) -> Path:
        path = self.run_dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        return path

    async def _spawn(self, name: str, *argv: str) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL)
        except OSError as error:
            raise NetworkError(f"cannot start {name}: {error}") from error
        await asyncio.sleep(0.2)
        if process.returncode is not None:
            raise NetworkError(f"{name} exited at start with status {process.returncode}")
        self._children[name] = process

    @staticmethod
    async def _run(*argv: str, stdin: bytes | None = None) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE)
        except OSError as error:
            raise NetworkError(f"cannot run {argv[0]}: {error}") from error
        _, err = await process.communicate(stdin)
        if process.returncode != 0:
            raise NetworkError(f"{argv[0]} failed: {err.decode(errors='replace').strip()}")


async def _terminate(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except TimeoutError:
            process.kill()
            await process.wait()


async def request(socket_path: Path, verb: str, timeout: float = 10) -> dict[str, object]:
    """Ask net-setup for a verb (the daemon's side of the control socket)."""
    if verb.partition(" ")[0] not in VERBS or len(verb) >= _MAX_REQUEST:
        raise NetworkError(f"unknown net-setup verb {verb[:20]!r}")
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_unix_connection(str(socket_path)), timeout)
        writer.write(verb.encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), timeout)
        writer.close()
    except (OSError, TimeoutError) as error:
        raise NetworkError(f"net-setup is not answering on {socket_path}: {error}") from error
    reply: dict[str, object] = json.loads(line or b"{}")
    if "error" in reply:
        raise NetworkError(f"net-setup: {reply['error']}")
    return reply
