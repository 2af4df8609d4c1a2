"""mDNS advertising of the CogRPC service as `_awala-crc._tcp.local.` on the served interfaces."""

import ipaddress
import logging
from collections.abc import Sequence

from zeroconf import IPVersion
from zeroconf.asyncio import AsyncServiceInfo, AsyncZeroconf

from courier import __version__
from courier.net.plan import COGRPC_PORT

LOG = logging.getLogger(__name__)
SERVICE_TYPE = "_awala-crc._tcp.local."


def txt_records(device_name: str, state: str) -> dict[str, str]:
    """Return the TXT records: TLS always on, our version, device name and session state."""
    return {"tls": "1", "version": __version__, "name": device_name, "state": state}


class CogrpcAdvertiser:
    """Advertise the service on given interface addresses only; goodbye packets on stop."""

    def __init__(self, device_name: str, addresses: Sequence[str], port: int = COGRPC_PORT) -> None:
        self._name = device_name
        self._addresses = [ipaddress.ip_address(a) for a in addresses]
        self._port = port
        self._zeroconf: AsyncZeroconf | None = None
        self._info: AsyncServiceInfo | None = None

    def _make_info(self, state: str) -> AsyncServiceInfo:
        label = "".join(c if c.isalnum() or c == "-" else "-" for c in self._name)[:60] or "courier"
        return AsyncServiceInfo(
            SERVICE_TYPE, f"{self._name}.{SERVICE_TYPE}",
            addresses=[a.packed for a in self._addresses], port=self._port,
            properties=txt_records(self._name, state), server=f"{label}.local.")

    async def start(self, state: str = "ready") -> None:
        """Register the service (probing for a unique name first)."""
        v6 = any(a.version == 6 for a in self._addresses)
        v4 = any(a.version == 4 for a in self._addresses)
        version = IPVersion.All if v4 and v6 else IPVersion.V6Only if v6 else IPVersion.V4Only
        self._zeroconf = AsyncZeroconf(
            interfaces=[str(a) for a in self._addresses], ip_version=version)
        self._info = self._make_info(state)
        # The zeroconf calls return a task that finishes when the broadcasts have gone out.
        await (await self._zeroconf.async_register_service(self._info, allow_name_change=True))
        LOG.info("advertising %s on %s", SERVICE_TYPE, [str(a) for a in self._addresses])

    async def update(self, state: str) -> None:
        """Change the advertised state (TXT record)."""
        if self._zeroconf is None or self._info is None:
            return
        self._info = self._make_info(state)
        await (await self._zeroconf.async_update_service(self._info))

    async def stop(self) -> None:
        """Send goodbye packets and close the sockets."""
        if self._zeroconf is None:
            return
        if self._info is not None:
            await (await self._zeroconf.async_unregister_service(self._info))
        await self._zeroconf.async_close()
        self._zeroconf = self._info = None


