"""One gateway's sync: the planner's actions done on the wire and in the store (worker threads)."""

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import assert_never

import grpc

from courier.app.internet_sync import GatewayReport, Progress, SyncOptions
from courier.app.retry_book import RetryBook
from courier.cogrpc.budget import ByteBudget
from courier.cogrpc.client import collect, deliver, open_channel
from courier.errors import CourierError, ProtocolError, StoreError
from courier.net.srv import resolve
from courier.protocol import MessageType, parse_message, validate_message
from courier.store import CargoStore, Direction, Kind, ObjectMeta
from courier.sync.plan_types import (
    Acked,
    Action,
    CargoInfo,
    CcaInfo,
    CollectionEnded,
    DeleteCargo,
    DeleteCca,
    DeliveryEnded,
    Finished,
    KeepCca,
    OpenCollection,
    OpenDelivery,
    PlanSettings,
    PlanSummary,
    TooBig,
    WaitForReplies,
)
from courier.sync.planner import GatewayPlanner

LOG = logging.getLogger(__name__)


class GatewaySync:
    """Sync one Internet gateway with the store."""

    def __init__(self, store: CargoStore, address: str, options: SyncOptions, book: RetryBook, *,
                 now: Callable[[], datetime], progress: Callable[[Progress], None],
                 budget: ByteBudget) -> None:
        self.store, self.address, self.options = store, address, options
        self.book, self.now, self.progress, self.budget = book, now, progress, budget
        self.report = GatewayReport(address)
        self._sizes: dict[str, int] = {}
        self._total = (0, 0)

    async def run(self) -> GatewayReport:
        """Deliver, wait for replies, collect; never raise."""
        try:
            self.progress(Progress(self.address, "resolving"))
            targets = await asyncio.to_thread(resolve, self.address, self.options.overrides,
                                              nameserver=self.options.nameserver)
            cargo, ccas = await asyncio.to_thread(self._inventory, self.now())
            settings = PlanSettings(call_budget=self.options.call_budget)
            planner = GatewayPlanner(cargo, ccas, settings)
            async with open_channel(targets[0], self.options.ca_pem) as channel:
                await self._drive(planner, channel)
        except CourierError as error:
            self.report.error = str(error)
        await asyncio.to_thread(self._count_kept, self.now())
        self.progress(Progress(self.address, "done" if self.report.ok else "failed"))
        return self.report

    def _inventory(self, now: datetime) -> tuple[list[CargoInfo], list[CcaInfo]]:
        """Return the cargo and the CCAs (with their creation dates) held for this gateway."""
        cargo = [CargoInfo(item.ref, item.meta.size)
                 for item in self.store.select_for_address(self.address, now, Kind.CARGO)]
        self._sizes = {c.ref: c.size for c in cargo}
        self._total = (len(cargo), sum(self._sizes.values()))
        ccas = []
        for item in self.store.select_for_address(self.address, now, Kind.CCA):
            try:
                created = parse_message(self.store.get(item.ref), MessageType.CCA).creation_date
            except (ProtocolError, StoreError) as error:
                LOG.warning("skipped a stored CCA for %s: %s", self.address,
                            type(error).__name__)
                continue
            ccas.append(CcaInfo(item.ref, item.meta.sender_id, created, item.meta.expiry,
                                self.book.entries.get(item.ref)))
        return cargo, ccas

    def _count_kept(self, now: datetime) -> None:
        self.report.undelivered = len(
            self.store.select_for_address(self.address, now, Kind.CARGO))
        self.report.ccas_kept = len(self.store.select_for_address(self.address, now, Kind.CCA))

    async def _drive(self, planner: GatewayPlanner, channel: grpc.aio.Channel) -> None:
        """Do the planner's actions in order, feeding it each call's outcome."""
        pending: deque[Action] = deque(planner.start(self.now()))
        while pending:
            action = pending.popleft()
            if isinstance(action, OpenDelivery):
                pending.extend(await self._deliver(planner, channel, action))
            elif isinstance(action, OpenCollection):
                self.progress(Progress(self.address, "collecting", self.report.collected))
                cca = await asyncio.to_thread(self.store.get, action.ref)
                status = await collect(channel, cca, self.options.timeout, self._store_reply)
                pending.extend(planner.feed(CollectionEnded(status), self.now()))
            elif isinstance(action, Finished):
                self._finish(action.summary)
            else:
                await self._do(action)

    async def _deliver(self, planner: GatewayPlanner, channel: grpc.aio.Channel,
                       call: OpenDelivery) -> list[Action]:
        """Make one delivery call; each ack feeds the planner and starts its cargo's deletion."""
        self._show("delivering", planner.summary)
        deletions: list[asyncio.Task[None]] = []

        async def on_ack(ref: str, elapsed: float) -> None:
            # Deletions overlap the call: reading acks never waits for a durable delete.
            deletions.extend(asyncio.create_task(self._do(done))
                             for done in planner.feed(Acked(ref, elapsed), self.now()))
            self._show("delivering", planner.summary)
        try:
            status, elapsed = await deliver(
                channel, [(ref, self._sizes[ref]) for ref in call.refs], self._load,
                on_ack=on_ack, timeout=self.options.timeout, budget=self.budget)
        finally:
            await asyncio.gather(*deletions)  # every acked cargo is deleted, whatever happens
        LOG.info("%s: delivery call of %d cargo ended %s after %.2f s (%d delivered so far)",
                 self.address, len(call.refs), status, elapsed, planner.summary.delivered)
        return planner.feed(DeliveryEnded(status, elapsed), self.now())

    async def _do(self, action: Action) -> None:
        """Do an action that opens no call."""
        if isinstance(action, DeleteCargo):
            await asyncio.to_thread(self.store.delete, action.ref)  # the gateway has it now
        elif isinstance(action, DeleteCca):
            await asyncio.to_thread(self.store.delete, action.ref)
            self.book.entries.pop(action.ref, None)
            if action.status != "OK":
                LOG.warning("%s refused a CCA (%s): dropped", self.address, action.status)
        elif isinstance(action, KeepCca):
            self.book.entries[action.ref] = action.retry
        elif isinstance(action, TooBig):
            LOG.warning("%s: uplink too slow for a cargo of %.1f MB: kept", self.address,
                        action.size / 1e6)
        elif isinstance(action, WaitForReplies):
            self.progress(Progress(self.address, "waiting"))
            await asyncio.sleep(self.options.reply_wait)
        elif isinstance(action, OpenDelivery | OpenCollection | Finished):
            raise TypeError(f"{type(action).__name__} is done by _drive")
        else:
            assert_never(action)

    async def _load(self, ref: str) -> bytes:
        """Read one cargo on a worker thread, just before it is written to the call."""
        return await asyncio.to_thread(self.store.get, ref)

    def _show(self, phase: str, summary: PlanSummary) -> None:
        self.progress(Progress(self.address, phase, summary.delivered, self._total[0],
                               summary.delivered_bytes, self._total[1]))

    def _finish(self, summary: PlanSummary) -> None:
        report = self.report
        report.delivered, report.too_big = summary.delivered, list(summary.too_big)
        report.calls, report.cuts, report.rate = summary.calls, summary.cuts, summary.rate
        report.ccas_used, report.ccas_dropped = summary.ccas_used, summary.ccas_dropped
        problems = [p for p in (summary.stopped and f"delivery stopped: {summary.stopped}",
                                summary.collect_error) if p]
        report.error = "; ".join(problems) or None

    async def _store_reply(self, cargo: bytes) -> None:
        """Validate a collected cargo as private-bound and store it durably (before the ack)."""
        try:
            async with self.budget.hold(len(cargo)):
                await asyncio.to_thread(self._validate_and_store, cargo, self.now())
        except ProtocolError as error:
            self.report.rejected += 1
            LOG.warning("dropped a cargo from %s: %s", self.address,
                        error.reason)
            return
        self.report.collected += 1

    def _validate_and_store(self, cargo: bytes, now: datetime) -> None:
        """Parse, verify, validate and store (one worker-thread hop, no copy of the cargo)."""
        message = parse_message(cargo, MessageType.CARGO)
        validate_message(message, now, bound="private")
        self.store.put(ObjectMeta.from_message(message, Direction.TO_PRIVATE),
                       message.serialized_view)
