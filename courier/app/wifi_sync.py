"""Carries out the Wi-Fi uplink sequence (courier.sync.wifi_uplink) with the helper and the sync."""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from courier.errors import CourierError
from courier.sync.wifi_uplink import (
    DEADLINES,
    Action,
    Addressed,
    CheckInternet,
    CloseHotspot,
    Event,
    Finished,
    HelperFailed,
    HotspotClosed,
    Join,
    Joined,
    JoinFailed,
    Leave,
    Left,
    Reached,
    RequestAddress,
    RunSync,
    Say,
    Scan,
    Scanned,
    Start,
    Step,
    Synced,
    Tick,
    WifiUplink,
)

LOG = logging.getLogger(__name__)


class UplinkHelper(Protocol):
    """The privileged helper's Wi-Fi client verbs, as the daemon sees them."""

    async def close_hotspot(self) -> None:
        """Close the hotspot (the radio becomes free)."""

    async def scan(self) -> Mapping[str, int]:
        """Return the networks in range: name -> signal in dBm."""

    async def join(self, name: str) -> bool | None:
        """Join a known network: True joined, False key refused, None failed otherwise."""

    async def address(self) -> bool:
        """Ask DHCP for an address and a default route; report success."""

    async def leave(self) -> None:
        """Leave the network and stop the client."""


@dataclass(frozen=True)
class WifiSyncParts:
    """What the sequence runs: the helper, the Internet check, the sync, the panel's words."""

    helper: UplinkHelper
    check: Callable[[], Awaitable[tuple[bool, bool]]]  # (DNS answered, gateway answered)
    sync: Callable[[], Awaitable[bool]]
    say: Callable[[str], None]
    now: Callable[[], float] = time.monotonic


async def wifi_sync(known: tuple[str, ...], hotspot_open: bool, parts: WifiSyncParts) -> Finished:
    """Run one Internet sync over Wi-Fi from start to idle; return how it finished."""
    machine = WifiUplink(known)
    pending = machine.handle(Start(hotspot_open=hotspot_open), parts.now())
    try:
        while pending:
            action = pending.pop(0)
            if isinstance(action, Finished):
                LOG.info("Wi-Fi sync finished: %s",
                         "ok" if action.ok else getattr(action.failure, "name", "failed"))
                return action
            if isinstance(action, Say):
                parts.say(action.text)
                continue
            step = machine.step.value
            event = await _carry_out(action, step, parts)
            late = DEADLINES.get(step, 0.0) if isinstance(event, Tick) else 0.0  # step gave up
            pending += machine.handle(event, parts.now() + late)
    except asyncio.CancelledError:
        if machine.step not in (Step.IDLE, Step.CLOSING):  # the client may run: stop it
            await _leave_anyway(parts.helper)
        raise
    raise AssertionError("the Wi-Fi sequence stopped without finishing")


async def _leave_anyway(helper: UplinkHelper) -> None:
    """Leave the network while being stopped (a wipe, the daemon stopping)."""
    LOG.warning("Wi-Fi sync stopped: leaving the network")
    with contextlib.suppress(CourierError, TimeoutError):
        await asyncio.wait_for(helper.leave(), DEADLINES["leaving"])


async def _carry_out(action: Action, step: str, parts: WifiSyncParts) -> Event:
    """Do one action within its step's deadline; return the event it produced."""
    limit = DEADLINES.get(step)
    try:
        return await asyncio.wait_for(_event_of(action, parts), limit)
    except TimeoutError:
        LOG.warning("Wi-Fi step %s took over %s s", step, limit)
        return Tick()
    except CourierError as error:
        LOG.warning("Wi-Fi step %s failed: %s", step, error)
        return Left() if isinstance(action, Leave) else HelperFailed()


async def _event_of(action: Action, parts: WifiSyncParts) -> Event:
    """Ask for one action and wait for its outcome."""
    helper = parts.helper
    match action:
        case CloseHotspot():
            await helper.close_hotspot()
            return HotspotClosed()
        case Scan():
            return Scanned(await helper.scan())
        case Join(name=name):
            joined = await helper.join(name)
            return Joined() if joined else JoinFailed(wrong_key=joined is False)
        case RequestAddress():
            return Addressed() if await helper.address() else Tick()
        case CheckInternet():
            dns, gateway = await parts.check()
            return Reached(dns=dns, gateway=gateway)
        case RunSync():
            return Synced(ok=await parts.sync())
        case Leave():
            await helper.leave()
            return Left()
    raise AssertionError(f"no outcome for {action}")
