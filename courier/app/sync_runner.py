"""The daemon's Internet syncs: one at a time, from a press or `courier sync-internet`."""

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from courier.app.control import Emit
from courier.app.internet_sync import Progress, SyncReport, report_lines, sync_with
from courier.app.status import StatusWriter
from courier.cogrpc.budget import ByteBudget
from courier.config import Config
from courier.store import FileStore

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncParts:
    """What a sync needs from the daemon, read when it starts (the store goes on a wipe)."""

    store: Callable[[], FileStore | None]
    in_hand: Callable[[], ByteBudget | None]  # the CogRPC server's byte budget, once serving
    writer: Callable[[], StatusWriter | None]
    wiped: Callable[[], bool]
    after: Callable[[], object]  # after a sync that ran: the uplink may have brought NTP


class SyncRunner:
    """Runs the daemon's Internet syncs with its store, clock and byte budget."""

    def __init__(self, config: Config, data_dir: Path, clock: Callable[[], datetime],
                 parts: SyncParts) -> None:
        self._config, self._data_dir, self._clock, self._parts = config, data_dir, clock, parts
        self._lock = asyncio.Lock()  # a press and `courier sync-internet` take turns
        self._task: asyncio.Task[SyncReport] | None = None

    async def press(self) -> bool:
        """Run one Internet sync for the panel; report success."""
        return bool(await self.run(None, None))

    async def run(self, request: dict[str, Any] | None, emit: Emit | None) -> SyncReport | None:
        """Sync every gateway due; None when there is no store (wiped) or a wipe stopped it."""
        async with self._lock:
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
            return report

    async def stop(self) -> None:
        """Stop a running Internet sync and wait until it has stopped (idempotent)."""
        task = self._task
        if task is not None and not task.done():
            LOG.warning("stopping the Internet sync")
            task.cancel()
            await asyncio.wait([task])

    async def control(self, request: dict[str, Any], emit: Emit) -> dict[str, Any]:
        """Answer `courier sync-internet` (and nothing else) on the control socket."""
        if request.get("command") != "sync-internet":
            return {"error": f"unknown command {str(request.get('command'))[:40]!r}"}
        LOG.info("Internet sync asked for on the control socket")
        report = await self.run(request, emit)
        if report is None:
            return {"error": "the store was wiped"}
        return {"report": report_lines(report)}
