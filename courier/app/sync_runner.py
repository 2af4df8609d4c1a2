"""The daemon's Internet syncs: one at a time, from a press or `courier sync-internet`."""

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from courier.app.control import Emit
from courier.app.internet_sync import Progress, SyncReport, report_lines, sync_with
from courier.app.status import StatusWriter
from courier.app.wifi_check import internet_check
from courier.app.wifi_sync import UplinkHelper, WifiSyncParts, wifi_sync
from courier.cogrpc.budget import ByteBudget
from courier.config import Config
from courier.store import FileStore
from courier.sync.wifi_uplink import Failure, Finished

LOG = logging.getLogger(__name__)


async def _no_update() -> None:
    """Stand in for a device that fetches no update bundles."""


@dataclass(frozen=True)
class SyncParts:
    """What a sync needs from the daemon, read when it starts (the store goes on a wipe)."""

    store: Callable[[], FileStore | None]
    in_hand: Callable[[], ByteBudget | None]  # the CogRPC server's byte budget, once serving
    writer: Callable[[], StatusWriter | None]
    wiped: Callable[[], bool]
    after: Callable[[], object]  # after a sync that ran: the uplink may have brought NTP
    helper: UplinkHelper | None = None  # drives the radio for Wi-Fi uplinks (None: not set)
    hotspot_open: Callable[[], bool] = lambda: False  # the session's hotspot holds the radio
    # After a sync that ran, while the uplink is still up: fetch the organisation's update.
    update: Callable[[], Coroutine[Any, Any, None]] = _no_update


@dataclass(frozen=True)
class WifiOutcome:
    """How a Wi-Fi sync ended: the sequence's end, its last words, the sync's report if it ran."""

    finished: Finished
    words: str
    report: SyncReport | None


class SyncRunner:
    """Runs the daemon's Internet syncs with its store, clock and byte budget."""

    def __init__(self, config: Config, data_dir: Path, clock: Callable[[], datetime],
                 parts: SyncParts) -> None:
        self._config, self._data_dir, self._clock, self._parts = config, data_dir, clock, parts
        self._lock = asyncio.Lock()  # a press and `courier sync-internet` take turns
        self._task: asyncio.Task[SyncReport] | None = None
        self._wifi_task: asyncio.Task[Finished] | None = None
        self._update_task: asyncio.Task[None] | None = None

    async def press(self) -> bool:
        """Run one Internet sync for the panel; report success."""
        return bool(await self.run(None, None))

    async def press_wifi(self) -> bool | None:
        """Run one Wi-Fi sync for the panel: True synced, False failed, None none in range."""
        finished = (await self.wifi()).finished
        return None if finished.failure is Failure.NONE_IN_RANGE else finished.ok

    async def run(self, request: dict[str, Any] | None, emit: Emit | None) -> SyncReport | None:
        """Sync every gateway due; None when there is no store (wiped) or a wipe stopped it."""
        async with self._lock:
            return await self._sync(request, emit)

    async def wifi(self, request: dict[str, Any] | None = None,
                   emit: Emit | None = None) -> WifiOutcome:
        """Run one Internet sync over the strongest known Wi-Fi network in range."""
        helper, writer = self._parts.helper, self._parts.writer()
        said, reports = [""], list[SyncReport | None]()

        def say(text: str) -> None:
            LOG.info("Wi-Fi uplink: %s", text)
            said[0] = text
            if writer is not None:
                writer.wifi_said(text)
            if emit is not None:
                emit({"progress": {"wifi": text}})

        async def sync() -> bool:
            reports.append(await self._sync(request, emit))
            return bool(reports[-1])

        async def check() -> tuple[bool, bool]:
            return await self._check((request or {}).get("gateways") or {})
        known = tuple(network.name for network in self._config.uplink.wifi)
        if helper is None or not known:  # nothing to join, or no helper to drive the radio
            say(Failure.NO_NETWORKS.value)
            finished = Finished(False, Failure.NO_NETWORKS)
        else:
            async with self._lock:
                parts = WifiSyncParts(helper, check, sync, say)
                task = self._wifi_task = asyncio.create_task(wifi_sync(known, False, parts))
                try:
                    finished = await task
                finally:
                    self._wifi_task = None
        if writer is not None and finished.failure not in (None, Failure.SYNC_FAILED):
            writer.problem(said[0])  # a failed sync already named its gateway
        return WifiOutcome(finished, said[0], reports[-1] if reports else None)

    async def _check(self, overrides: dict[str, str]) -> tuple[bool, bool]:
        """Check the Internet behind the Wi-Fi network (the gateways held, or the probe)."""
        store, internet = self._parts.store(), self._config.internet
        held = set() if store is None else await asyncio.to_thread(
            store.internet_addresses, self._clock())
        return await internet_check(held, {**internet.gateways, **overrides}, internet.probe)

    async def _sync(self, request: dict[str, Any] | None,
                    emit: Emit | None) -> SyncReport | None:
        """Sync with the lock held."""
        store, in_hand = self._parts.store(), self._parts.in_hand()
        if store is None or in_hand is None:
            return None
        writer = self._parts.writer()
        if writer is not None:
            writer.sync_started()

        def progress(event: Progress) -> None:
            if writer is not None:
                writer.sync_progress(event)
            if emit is not None:
                emit({"progress": dataclasses.asdict(event)})
        task = self._task = asyncio.create_task(sync_with(
            self._config, store, self._data_dir, self._clock, request, progress, in_hand))
        try:
            report: SyncReport | None = await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being stopped, not the sync
            report = None  # stopped by a wipe
        finally:
            self._task = None
        if writer is not None and not self._parts.wiped():
            writer.sync_finished(None if report is None else report.gateways)
        if report is not None:
            self._parts.after()
            await self._fetch_update()
        return report

    async def _fetch_update(self) -> None:
        """Fetch the update bundle (a wipe stops it like the sync); never fails the sync."""
        task = self._update_task = asyncio.create_task(self._parts.update())
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
        except Exception:  # the sync is done: an update problem must not undo that
            LOG.exception("update: fetching the bundle failed")
        finally:
            self._update_task = None

    async def stop(self) -> None:
        """Stop a running Internet sync (over Wi-Fi too) and wait until it stopped (idempotent)."""
        for task in (self._task, self._update_task, self._wifi_task):
            if task is not None and not task.done():
                LOG.warning("stopping the Internet sync")
                task.cancel()
                await asyncio.wait([task])

    async def control(self, request: dict[str, Any], emit: Emit) -> dict[str, Any]:
        """Answer `courier sync-internet` (and nothing else) on the control socket."""
        if request.get("command") != "sync-internet":
            return {"error": f"unknown command {str(request.get('command'))[:40]!r}"}
        if request.get("wifi"):
            return await self._control_wifi(request, emit)
        LOG.info("Internet sync asked for on the control socket")
        report = await self.run(request, emit)
        if report is None:
            return {"error": "the store was wiped"}
        return {"report": report_lines(report)}

    async def _control_wifi(self, request: dict[str, Any], emit: Emit) -> dict[str, Any]:
        """Answer `courier sync-internet --wifi`: the radio is free only with the hotspot closed."""
        LOG.info("Internet sync over Wi-Fi asked for on the control socket")
        if self._config.session.always_open:
            return {"error": "the hotspot is always open here (always_open): Wi-Fi uplinks "
                             "are not used"}
        if self._parts.hotspot_open():
            return {"error": "the hotspot is open: end the session with a press first"}
        outcome = await self.wifi(request, emit)
        if outcome.report is None:
            return {"error": outcome.words if outcome.finished.failure else "the store was wiped"}
        failed = {"wifi": outcome.words} if outcome.finished.failure else {}
        return {"report": report_lines(outcome.report), **failed}
