"""The CargoRelay service for private gateways (RS-008 as deployed; PROTOCOL.md section 6)."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import grpc

from courier.cogrpc.budget import ByteBudget, Claim
from courier.cogrpc.cca import MAX_CCA_HEADER
from courier.cogrpc.collect import Collector, CollectSettings
from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.generated import cogrpc_pb2, cogrpc_pb2_grpc
from courier.cogrpc.inbox import Inbox, Item
from courier.cogrpc.intake import Refused, Signed, validate_and_store
from courier.cogrpc.wire import Received, WireError
from courier.errors import StoreError
from courier.protocol import MAX_MESSAGE_SIZE
from courier.reasons import Reason
from courier.store import (
    CargoStore,
    StoreFullError,
)

LOG = logging.getLogger(__name__)
__all__ = ["MAX_CCA_HEADER", "MESSAGE_LIMIT", "CargoRelay"]  # MAX_CCA_HEADER: for serving
MESSAGE_LIMIT = MAX_MESSAGE_SIZE + 4096  # the cargo plus its CargoDelivery framing
# Deliveries of one call are validated and stored in batches, a worker thread hop and a commit
# round per batch, not per cargo: for small cargo the hops and waits cost more than the work.
PARALLEL_BATCHES = 2  # batches of one call in hand at once (SHA-256 and sealing use two cores)
BATCH_CARGO = 8
BATCH_BYTES = 4 * 1024 * 1024  # a batch holds more only when one cargo is bigger than this
INBOX_CARGO = 8  # read and waiting for a worker
# Cargo arriving, waiting, being stored or being sent, across all calls. Each read claims the
# largest message until it has arrived (at most READ_HOLD seconds: a slow sender stops counting),
# so a few gateways delivering 9 MiB cargo at once take turns instead of all landing in memory.
IN_HAND_BUDGET = 24 * 1024 * 1024
READ_HOLD = 1.0
CONTENDED_HOLD = 0.1  # ... or this long while the budget is full (see CargoRelay._arrived)
# A delivery left unacknowledged (refused for a date while our clock is untrusted, or not
# stored) keeps the JS client waiting for its ack, without a deadline: once nothing more arrives
# for this long, the call ends with OK after the acks of everything stored.
UNANSWERED_GRACE = 2.0
# Cargo on its way out has a budget of its own, from the store read until the gateway acks it
# or its call ends (courier.cogrpc.collect): a client that stops reading cannot hold up
# deliveries.
COLLECT_BUDGET = 24 * 1024 * 1024
# A DeliverCargo call that completes no message for this long is ended (after the acks of what
# it stored): a silent call would hold a call slot for as long as its client likes. A gateway
# streams its cargo at once; 9 MiB at the 2.4 GHz hotspot's worst rate takes about 3 s.
DELIVERY_IDLE_SECONDS = 10.0
# Cargo being validated and sealed at once: each costs a copy of its size as it is sealed.
PROCESSING_BUDGET = 12 * 1024 * 1024
Clock = Callable[[], datetime]
Context = grpc.aio.ServicerContext[object, object]


def _release(items: list[Item]) -> None:
    """End the claims of deliveries read and now stored, dropped or given up."""
    for _, claim in items:
        claim.release()


def _peer(context: Context) -> str:
    peer = context.peer() or "unknown"
    return peer.rsplit(":", 1)[0]




class CargoRelay(cogrpc_pb2_grpc.CargoRelayServicer):
    """Receives Internet-bound cargo and hands out the cargo held for a CCA's sender."""

    def __init__(self, store: CargoStore, clock: Clock, counters: ServerCounters, *,
                 on_message: Callable[[str, datetime], None] | None = None,
                 validation_now: Callable[[datetime], datetime] | None = None,
                 clock_trusted: Callable[[], bool] | None = None,
                 collect: CollectSettings | None = None,
                 delivery_idle_seconds: float = DELIVERY_IDLE_SECONDS) -> None:
        self._store = store
        self._idle_seconds = delivery_idle_seconds
        self._clock = clock
        # The `now` to validate a message created at a given date: with a clock known to be
        # behind, a message is not refused for looking as if it came from the future.
        self._validation_now = validation_now or (lambda _created: clock())
        # Whether a date fault is surely the message's: if not, such cargo is refused unacked.
        self._clock_trusted = clock_trusted or (lambda: True)
        self.counters = counters
        # Told (sender id, creation date) of each validly signed message, for the clock.
        self._on_message = on_message or (lambda _sender, _created: None)
        self.in_hand = ByteBudget(IN_HAND_BUDGET)
        self._processing = ByteBudget(PROCESSING_BUDGET)
        self._collector = Collector(store, clock, counters,
                                    budget=ByteBudget(COLLECT_BUDGET),
                                    settings=collect or CollectSettings(),
                                    validation_now=self._validation_now,
                                    on_message=self._on_message)

    # ---- DeliverCargo ----------------------------------------------------------------------

    async def DeliverCargo(  # noqa: N802 - gRPC method name
        self, request_iterator: AsyncIterator[Received],
        context: Context,
    ) -> AsyncIterator[cogrpc_pb2.CargoDeliveryAck]:
        """Store each cargo durably, then ack it; bad cargo is acked and dropped."""
        self.counters.seen(_peer(context))
        acks: asyncio.Queue[tuple[str, bool] | None] = asyncio.Queue()
        # Read with context.read(), not the request iterator: the iterator (an async generator)
        # would keep the last cargo alive until the next read, outside the in-hand budget.
        reader = asyncio.create_task(self._read_deliveries(context, acks))
        full = False
        try:
            while (item := await acks.get()) is not None:
                delivery_id, stored_or_dropped = item
                if not stored_or_dropped:
                    full = True
                    continue
                yield cogrpc_pb2.CargoDeliveryAck(id=delivery_id)
            malformed = await reader
        finally:
            if not reader.done():
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        if full:
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                "the courier's storage is full")
        if malformed:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                "a message in the stream is not a CargoDelivery")

    async def _read_deliveries(self, context: Context,
                               acks: "asyncio.Queue[tuple[str, bool] | None]") -> bool:
        """Read deliveries for the batch workers, then wait for them; True if one was bad."""
        inbox = Inbox(INBOX_CARGO)
        full = asyncio.Event()
        unanswered = asyncio.Event()  # a delivery was left without an ack
        workers = [asyncio.create_task(self._work(inbox, acks, full, unanswered))
                   for _ in range(PARALLEL_BATCHES)]
        malformed = False
        try:
            while not full.is_set():
                try:
                    received = await self._receive(context, unanswered)
                except WireError as error:
                    self.counters.reject(Reason.MALFORMED_DELIVERY)
                    LOG.info("ended a delivery call: %s", error)
                    malformed = True
                    break
                if received is None:
                    break
                await inbox.put(received)
                del received  # the inbox owns the cargo: no reference outlives its claim
            await inbox.close()
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            _release(inbox.drain())
            await acks.put(None)
        return malformed

    async def _work(self, inbox: Inbox, acks: "asyncio.Queue[tuple[str, bool] | None]",
                    full: asyncio.Event, unanswered: asyncio.Event) -> None:
        """Validate and store what the inbox holds, a batch at a time, and queue the acks."""
        while (batch := await inbox.take(BATCH_CARGO, BATCH_BYTES)) is not None:
            try:
                if not full.is_set():
                    outcomes = await self._accept([delivery for delivery, _ in batch], full)
                    if not all(outcomes):
                        unanswered.set()
                    # Ids only: a loop variable would keep the last cargo alive (outside the
                    # budget) while this worker waits for its next batch.
                    for delivery_id in [delivery.id for (delivery, _), acked
                                        in zip(batch, outcomes, strict=True) if acked]:
                        await acks.put((delivery_id, True))
                    if full.is_set():
                        await acks.put(("", False))
            finally:
                _release(batch)  # in a function: a loop variable here would keep a cargo alive
                del batch

    async def _receive(self, context: Context, unanswered: asyncio.Event) -> Item | None:
        """Read the next delivery within the in-hand budget; None once the client half-closed.

        Also None when nothing arrives for the idle limit, or, once a delivery was left
        unacknowledged, for UNANSWERED_GRACE (the JS client waits for that ack and never
        half-closes): the call then ends cleanly.
        """
        claim = await self.in_hand.claim(MESSAGE_LIMIT, hold_limit=READ_HOLD)
        read = asyncio.ensure_future(context.read())
        try:
            # Only the read is timed: a wait for room in the budget is not the client's doing.
            if not await self._arrived(read, claim, unanswered):
                claim.release()
                return None
            delivery = read.result()
            if isinstance(delivery, Received):  # else grpc.aio.EOF
                await claim.settle(len(delivery.span.source))
                return delivery, claim
        except BaseException:
            claim.release()
            raise
        finally:
            if not read.done():
                read.cancel()
        claim.release()
        return None

    async def _arrived(self, read: "asyncio.Future[object]", claim: Claim,
                       unanswered: asyncio.Event) -> bool:
        """Wait for `read`; False if the call went idle or stayed unanswered past its grace.

        Idle: nothing for the idle limit. Unanswered: a delivery was left unacknowledged and
        nothing came within UNANSWERED_GRACE (the JS client waits for that ack). A silent
        call's claim is the largest message: while the budget cannot fit another, it stops
        counting after CONTENDED_HOLD, not READ_HOLD, so dozens of silent calls cannot queue
        the others for dozens of seconds. What arrives later claims its size then.
        """
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self._idle_seconds
        graced = False
        while (left := give_up_at - loop.time()) > 0:
            done, _ = await asyncio.wait((read,), timeout=min(left, CONTENDED_HOLD))
            if done:
                return True
            if self.in_hand.used + MESSAGE_LIMIT > self.in_hand.capacity:
                claim.release()
            if unanswered.is_set() and not graced:
                graced = True
                give_up_at = min(give_up_at, loop.time() + UNANSWERED_GRACE)
        if not read.done() and not graced:
            LOG.info("ended a delivery call idle for %.0f s", self._idle_seconds)
            self.counters.reject(Reason.DELIVERY_IDLE)
        return read.done()

    async def _accept(self, batch: list[Received], full: asyncio.Event) -> list[bool]:
        """Return, for each delivery, whether it may be acked: stored, or dropped as bad."""
        size = sum(delivery.span.size for delivery in batch
                   if delivery.span.size <= MAX_MESSAGE_SIZE)  # the rest is dropped unread
        async with self._processing.hold(size):
            outcomes = await asyncio.to_thread(validate_and_store, batch, self._store,
                                               self._validation_now,
                                               not self._clock_trusted())
        acked: list[bool] = []
        for delivery, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Signed):
                self._on_message(*outcome)
                self.counters.add(cargo_in=1, bytes_in=delivery.span.size)
                self.counters.gateway(outcome.sender_id, received=1)
            elif isinstance(outcome, StoreFullError):
                full.set()
                self.counters.reject(Reason.STORAGE_FULL)
            elif isinstance(outcome, StoreError):
                self.counters.reject(Reason.NOT_STORED)  # not acked: the gateway keeps it
            elif isinstance(outcome, Refused):
                self.counters.reject(outcome.reason, prefix="unsure_")  # not acked: kept
                LOG.info("refused a cargo without ack (%s; our clock is untrusted)",
                         outcome.reason)
            else:
                self.counters.reject(outcome)
                LOG.info("dropped a cargo: %s", outcome)
            acked.append(isinstance(outcome, Signed | Reason))
        return acked

    # ---- CollectCargo (courier.cogrpc.collect) ----------------------------------------------

    async def CollectCargo(  # noqa: N802 - gRPC method name
        self, request_iterator: AsyncIterator[cogrpc_pb2.CargoDeliveryAck],
        context: Context,
    ) -> AsyncIterator[bytes]:
        """Stream the cargo held for the CCA's sender, encoded; delete each on its ack."""
        # An async generator function, as grpc.aio requires; aclosing runs the collector's
        # clean-up as soon as the call ends, not when the generator is collected.
        async with contextlib.aclosing(self._collector.collect(request_iterator, context)) as out:
            async for message in out:
                yield message
