"""Uplink detection: a default route through a non-hotspot interface, and a reachability check.

The check depends on no vendor host (PROTOCOL.md section 10): by default it is a successful SRV
lookup of an Internet gateway the courier holds cargo or CCAs for; a configured probe replaces it.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from pyroute2 import AsyncIPRoute
from pyroute2.netlink.rtnl import RTMGRP_IPV4_ROUTE, RTMGRP_IPV6_ROUTE, RTMGRP_LINK

from courier.errors import SyncError
from courier.net.srv import resolve

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """A default route as netlink reports it."""

    interface: str
    gateway: str | None
    metric: int


@dataclass(frozen=True)
class UplinkUp:
    """The courier can reach the Internet through this interface."""

    interface: str
    gateway: str | None


@dataclass(frozen=True)
class UplinkDown:
    """The courier has no usable uplink (any more)."""

    reason: str


UplinkEvent = UplinkUp | UplinkDown
Probe = Callable[[], Awaitable[bool]]


def choose_uplink(routes: Iterable[Route], hotspot_interfaces: Iterable[str]) -> Route | None:
    """Return the preferred default route that does not go through a hotspot/LAN interface."""
    excluded = set(hotspot_interfaces)
    candidates = [r for r in routes if r.interface not in excluded]
    return min(candidates, key=lambda r: (r.metric, r.interface)) if candidates else None


def tcp_probe(host: str, port: int, timeout: float = 5.0) -> Probe:
    """Return a probe that succeeds when a TCP connection to host:port opens."""
    async def probe() -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True
    return probe


def srv_probe(addresses: Callable[[], Awaitable[Iterable[str]]], overrides: Mapping[str, str],
              nameserver: tuple[str, int] | None = None, timeout: float = 5.0) -> Probe:
    """Return a probe that succeeds when a held gateway resolves (or answers, when overridden).

    With no address held there is nothing to sync with: not up, so a press opens the hotspot.
    """
    async def probe() -> bool:
        held = sorted(await addresses())
        for address in held[:3]:  # a few are enough; each lookup may take `timeout`
            if address in overrides:
                host, _, port = overrides[address].rpartition(":")
                if await tcp_probe(host.strip("[]"), int(port), timeout)():
                    return True
                continue
            try:
                await asyncio.to_thread(resolve, address, {}, nameserver=nameserver)
            except SyncError:
                continue
            return True
        return False
    return probe


async def default_routes() -> list[Route]:
    """Return the IPv4 and IPv6 default routes of this network namespace (no privileges needed)."""
    routes: list[Route] = []
    async with AsyncIPRoute() as ipr:
        names = {link["index"]: link.get("IFLA_IFNAME") async for link in await ipr.get_links()}
        for family in (2, 10):
            async for msg in await ipr.get_default_routes(family=family):
                oif = msg.get("RTA_OIF")
                if oif in names:
                    routes.append(Route(interface=names[oif], gateway=msg.get("RTA_GATEWAY"),
                                        metric=msg.get("RTA_PRIORITY") or 0))
    return routes


class UplinkMonitor:
    """Yield UplinkUp/UplinkDown when the uplink state changes; netlink events wake it early."""

    def __init__(self, hotspot_interfaces: Iterable[str], probe: Probe,
                 interval: float = 10.0) -> None:
        self._excluded = tuple(hotspot_interfaces)
        self._probe = probe
        self._interval = interval

    async def events(self) -> AsyncIterator[UplinkEvent]:
        """Watch forever (cancel to stop); the first event tells the initial state."""
        changed = asyncio.Event()
        watcher = asyncio.create_task(self._watch_netlink(changed))
        last: UplinkEvent | None = None
        try:
            while True:
                changed.clear()
                event = await self._evaluate()
                if event != last:
                    LOG.info("uplink: %s", event)
                    last = event
                    yield event
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), self._interval)
                await asyncio.sleep(0.2)  # let a burst of route changes settle
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _evaluate(self) -> UplinkEvent:
        route = choose_uplink(await default_routes(), self._excluded)
        if route is None:
            return UplinkDown(reason="no default route")
        if not await self._probe():
            return UplinkDown(reason=f"no answer through {route.interface}")
        return UplinkUp(interface=route.interface, gateway=route.gateway)

    @staticmethod
    async def _watch_netlink(changed: asyncio.Event) -> None:
        async with AsyncIPRoute() as ipr:
            await ipr.bind(groups=RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_LINK)
            while True:
                async for _ in ipr.get():
                    changed.set()
