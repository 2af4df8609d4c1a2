"""The daemon's side of the Wi-Fi uplink: the helper's verbs as courier.app.wifi_sync wants them."""

from collections.abc import Mapping
from pathlib import Path

from courier.errors import NetworkError
from courier.net.netsetup import request


class HelperUplink:
    """Asks courier-net (the privileged helper) for each step; the daemon keeps no capabilities."""

    def __init__(self, socket_path: Path, timeout: float = 40.0) -> None:
        self._socket, self._timeout = socket_path, timeout

    async def _ask(self, verb: str) -> dict[str, object]:
        return await request(self._socket, verb, self._timeout)

    async def close_hotspot(self) -> None:
        """Close the hotspot."""
        await self._ask("close")

    async def scan(self) -> Mapping[str, int]:
        """Return the networks in range."""
        networks = (await self._ask("uplink-scan")).get("networks")
        if not isinstance(networks, dict):
            raise NetworkError("net-setup gave no scan results")
        return {str(name): int(signal) for name, signal in networks.items()}

    async def join(self, name: str) -> bool | None:
        """Join a known network: True joined, False key refused, None otherwise."""
        joined = (await self._ask(f"uplink-join {name.encode().hex()}")).get("joined")
        return joined if isinstance(joined, bool) else None

    async def address(self) -> bool:
        """Ask for DHCP on the radio."""
        return (await self._ask("uplink-address")).get("addressed") is True

    async def leave(self) -> None:
        """Leave the network."""
        await self._ask("uplink-leave")
