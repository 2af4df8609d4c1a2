"""Interface addressing over netlink (pyroute2); needs CAP_NET_ADMIN, so only net-setup uses it."""

import ipaddress
from pathlib import Path

from pyroute2 import AsyncIPRoute
from pyroute2.netlink.exceptions import NetlinkError

from courier.errors import NetworkError


async def configure_interface(ifname: str, address: ipaddress.IPv4Address, prefixlen: int) -> None:
    """Bring the interface up with exactly this IPv4 address (idempotent)."""
    try:
        async with AsyncIPRoute() as ipr:
            index = await _index(ipr, ifname)
            present = False
            async for entry in await ipr.get_addr(index=index, family=2):
                current, length = entry.get("IFA_ADDRESS"), entry["prefixlen"]
                if current == str(address) and length == prefixlen:
                    present = True
                else:
                    await ipr.addr("del", index=index, address=current, prefixlen=length)
            if not present:
                await ipr.addr("add", index=index, address=str(address), prefixlen=prefixlen)
            await ipr.link("set", index=index, state="up")
    except NetlinkError as error:
        raise NetworkError(f"cannot configure {ifname}: {error} (needs CAP_NET_ADMIN)") from error


async def deconfigure_interface(
    ifname: str, address: ipaddress.IPv4Address, prefixlen: int,
) -> None:
    """Remove the address we set (the interface may already be gone)."""
    try:
        async with AsyncIPRoute() as ipr:
            index = await _index(ipr, ifname)
            async for entry in await ipr.get_addr(index=index, family=2):
                if entry.get("IFA_ADDRESS") == str(address):
                    await ipr.addr("del", index=index, address=str(address), prefixlen=prefixlen)
    except (NetlinkError, NetworkError):
        return


async def _index(ipr: AsyncIPRoute, ifname: str) -> int:
    indexes: list[int] = await ipr.link_lookup(ifname=ifname)
    if not indexes:
        raise NetworkError(f"network interface {ifname!r} does not exist")
    return indexes[0]


def is_wireless(ifname: str) -> bool:
    """Tell whether the interface is a Wi-Fi radio (hostapd is needed) or a wired/virtual link."""
    return (Path("/sys/class/net") / ifname / "phy80211").exists()
