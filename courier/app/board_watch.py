"""What the panel task waits on: the board (retried while missing) and the Internet uplink."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from courier.app.device import open_board
from courier.app.sdnotify import notify
from courier.config import Config
from courier.errors import HardwareError
from courier.panel.ports import Board
from courier.panel.session_types import UplinkChanged
from courier.store import FileStore

LOG = logging.getLogger(__name__)
BOARD_RETRY_SECONDS = 30.0


async def open_board_retrying(config: Config, data_dir: Path, keyboard: bool) -> Board:
    """Open the board; while it cannot be opened, cargo is still served and we retry."""
    said = ""
    while True:
        try:
            return await asyncio.to_thread(open_board, config, data_dir, keyboard)
        except HardwareError as error:
            if str(error) != said:
                said = str(error)
                LOG.error("panel unavailable: %s; serving cargo without it, retrying every "
                          "%.0f s", error, BOARD_RETRY_SECONDS)
                notify(f"STATUS=serving; panel unavailable: {error}")
            await asyncio.sleep(BOARD_RETRY_SECONDS)


async def watch_uplink(config: Config, store: Callable[[], FileStore | None],
                       clock: Callable[[], datetime], seen: Callable[[bool], None],
                       feed: Callable[[UplinkChanged], Awaitable[None]]) -> None:
    """Tell the status (`seen`) and the session machine (`feed`) when the uplink comes and goes."""
    from courier.net.uplink import (  # noqa: PLC0415 - pyroute2 loads only with a panel
        UplinkMonitor,
        UplinkUp,
        srv_probe,
        tcp_probe,
    )

    probe_to = config.internet.probe
    host, _, port = probe_to.rpartition(":")

    async def held() -> set[str]:
        current = store()
        if current is None:
            return set()
        return await asyncio.to_thread(current.internet_addresses, clock())
    # No vendor host: by default, a held gateway's SRV record must resolve (PROTOCOL.md 10).
    probe = (tcp_probe(host, int(port)) if probe_to
             else srv_probe(held, config.internet.gateways))
    served = [config.hotspot.interface, *config.hotspot.lan_interfaces]
    async for event in UplinkMonitor(served, probe).events():
        up = isinstance(event, UplinkUp)
        seen(up)
        await feed(UplinkChanged(up=up))
