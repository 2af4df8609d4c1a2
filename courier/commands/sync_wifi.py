"""`courier sync-internet --wifi` without a daemon: the daemon's Wi-Fi sequence, run here."""

from collections.abc import Awaitable, Callable
from typing import Any

from courier.app.device import net_socket
from courier.app.internet_sync import SyncReport, report_lines
from courier.app.wifi_check import internet_check
from courier.app.wifi_sync import WifiSyncParts, wifi_sync
from courier.app.wifi_wiring import HelperUplink
from courier.config import Config
from courier.sync.wifi_uplink import Failure


async def wifi_here(config: Config, held: set[str], overrides: dict[str, str],
                    sync: Callable[[], Awaitable[SyncReport]],
                    say: Callable[[str], None]) -> dict[str, Any]:
    """Join a known network through courier-net, sync, leave; answer as the daemon would."""
    known = tuple(network.name for network in config.uplink.wifi)
    if not known:
        return {"error": Failure.NO_NETWORKS.value}
    said, reports = [""], list[SyncReport]()

    def tell(text: str) -> None:
        said[0] = text
        say(text)

    async def check() -> tuple[bool, bool]:
        gateways = {**config.internet.gateways, **overrides}
        return await internet_check(held, gateways, config.internet.probe)

    async def run() -> bool:
        reports.append(await sync())
        return bool(reports[-1])
    # No daemon: nobody holds the hotspot open, but courier-net may; closing it first is harmless.
    parts = WifiSyncParts(HelperUplink(net_socket(config)), check, run, tell)
    finished = await wifi_sync(known, True, parts)
    if not reports:
        return {"error": said[0]}
    return {"report": report_lines(reports[-1]), **({"wifi": said[0]} if finished.failure else {})}
