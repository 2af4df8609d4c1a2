"""CollectCargo: the cargo held for a CCA's sender, paced to the client's deadline and limits.

PROTOCOL.md sections 5, 6 and 10. The decisions (what a client can receive, whether the next
cargo arrives in time) are in courier.sync.collection; this is the asyncio pump around them.
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc

from courier.cogrpc.budget import ByteBudget, Claim
from courier.cogrpc.cca import accept_cca, persist_cca
from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.generated import cogrpc_pb2
from courier.cogrpc.wire import Delivery, serialize_delivery
from courier.store import (
    CargoStore,
    CorruptObjectError,
    ObjectNotFoundError,
    StoredObject,
)
from courier.sync.collection import (
    Next,
    Pacer,
    RateMemory,
    delivery_size,
    message_limit,
    select,
    too_big_for_small_clients,
)

POLL = 0.1  # seconds between looks for room in the budget
Clock = Callable[[], datetime]
Context = grpc.aio.ServicerContext[object, object]


@dataclass(frozen=True)
class CollectSettings:
    """Collection behaviour from the [server] configuration."""

    small_message_agents: tuple[str, ...] = ("grpc-java-okhttp/",)
    expiry_margin: timedelta = timedelta(hours=2)
    default_deadline: float = 10.0  # for a call whose client set none


def _peer(context: Context) -> str:
    return (context.peer() or "unknown").rsplit(":", 1)[0]


def _metadata(context: Context, key: str) -> str | None:
    value = next((v for k, v in (context.invocation_metadata() or ()) if k == key), None)
    return value if isinstance(value, str) else None


def call_time(context: Context, default_deadline: float) -> float:
    """Return the seconds this call may last: the client's deadline, at most the default."""
    remaining = context.time_remaining()
    if remaining is None or remaining > default_deadline:
        return default_deadline  # no client deadline, or a longer one than any real client
    return remaining


def send_time(call_seconds: float) -> float:
    """Return the seconds a call of that length may send for (a margin before its end)."""
    # Stop early enough that the last message and the trailers reach the client in time.
    return call_seconds - max(0.4, 0.15 * call_seconds)


class Collector:
    """Streams a gateway's cargo: deletes each on its ack, never more than the client takes."""

    def __init__(self, store: CargoStore, clock: Clock, counters: ServerCounters, *,
                 budget: ByteBudget, settings: CollectSettings,
                 validation_now: Callable[[datetime], datetime],
                 on_message: Callable[[str, datetime], None]) -> None:
        self._store, self._clock, self._counters = store, clock, counters
        self.budget, self._settings = budget, settings
        self._validation_now, self._on_message = validation_now, on_message
        self._rates = RateMemory()
        self._sending: set[str] = set()  # store refs in flight in some call

    async def collect(self, acks: AsyncIterator[cogrpc_pb2.CargoDeliveryAck],
                      context: Context) -> AsyncGenerator[bytes]:
        """Yield encoded CargoDelivery messages for the CCA's sender until time is up."""
        peer = _peer(context)
        self._counters.seen(peer)
        loop = asyncio.get_running_loop()
        seconds = call_time(context, self._settings.default_deadline)
        stop_at = loop.time() + send_time(seconds)
        # A client that stops reading leaves a send waiting on flow control, where no check of
        # the time can run: the call is cut at its end whatever happens (its claims released).
        task = asyncio.current_task()
        cutoff = loop.call_later(seconds, task.cancel) if task is not None else None
        try:
            async with contextlib.aclosing(self._serve(acks, context, peer, stop_at)) as out:
                async for message in out:
                    yield message
        finally:
            if cutoff is not None:
                cutoff.cancel()

    async def _serve(self, acks: AsyncIterator[cogrpc_pb2.CargoDeliveryAck], context: Context,
                     peer: str, stop_at: float) -> AsyncGenerator[bytes]:
        """Yield the CargoDelivery messages of one call, until `stop_at`."""
        loop = asyncio.get_running_loop()
        cca = await accept_cca(_metadata(context, "authorization"), self._counters,
                               self._validation_now, self._on_message)
        if cca is None:
            return  # as the reference courier: no cargo, status OK
        # RS-000: the courier MUST persist the CCA, to present it to the Internet gateway. The
        # flush runs beside the first cargo going out; the call ends only once it is done.
        persisted = asyncio.create_task(persist_cca(self._store, cca, self._counters))
        # Cargo expiring within the margin is not handed out: the Android gateway ends its sync
        # on a cargo expired by its own clock, which may be ahead of ours. The CCA tells that
        # clock (it is made "now", back-dated): never earlier than the CCA's own date.
        now = max(self._clock(), cca.creation_date)
        items = await asyncio.to_thread(self._store.select_for_recipient, cca.sender_id,
                                        now + self._settings.expiry_margin)
        limit = message_limit(_metadata(context, "user-agent") or "",
                              self._settings.small_message_agents)
        chosen = select(items, lambda item: item.meta.size, limit)
        call = _Call(Pacer(stop_at, self._rates.recall(peer, loop.time())))
        acker = asyncio.create_task(self._read_acks(acks, call))
        try:
            for item in chosen.offer:
                encoded = await self._next(item, call, acker)
                if encoded is None:
                    if call.stopped:
                        break
                    continue
                yield encoded
                del encoded
            await call.drained(stop_at, acker)
        finally:
            await self._finish(call, acker, peer, persisted)
            self._counters.gateway(cca.sender_id, sent=len(call.acked_refs))
            self._counters.set_too_big(cca.sender_id, too_big_for_small_clients(
                i.meta.size for i in items if i.ref not in call.acked_refs))

    async def _next(self, item: StoredObject, call: "_Call",
                    acker: "asyncio.Task[None]") -> bytes | None:
        """Return the next CargoDelivery to send, or None (skipped, or the call must stop)."""
        if item.ref in self._sending:
            return None  # another call of this gateway has it in flight, or is about to
        self._sending.add(item.ref)
        encoded = None
        try:
            encoded = await self._prepare(item, call, acker)
        finally:
            if encoded is None:
                self._sending.discard(item.ref)
        return encoded

    async def _prepare(self, item: StoredObject, call: "_Call",
                       acker: "asyncio.Task[None]") -> bytes | None:
        """Wait for the cargo's turn and its memory claim, then read and encode it."""
        size = delivery_size(item.meta.size)
        if not await call.wait_to_start(size, acker):
            return None
        # Read, decrypted and encoded, a cargo briefly exists twice on its way out; once encoded,
        # once. The claim is held until the ack or the end of the call: a client that stops
        # reading keeps at most MAX_UNACKED cargo in memory, counted.
        claim = await self._claim(2 * item.meta.size, call)
        if claim is None:
            call.stopped = True  # the call's time is up
            return None
        try:
            cargo = await asyncio.to_thread(self._store.get, item.ref)
        except (ObjectNotFoundError, CorruptObjectError):
            claim.release()
            return None
        delivery_id = str(uuid.uuid4())
        call.pending[delivery_id] = (item.ref, claim)
        call.pacer.sent(delivery_id, size, asyncio.get_running_loop().time())
        self._counters.add(cargo_out=1, bytes_out=len(cargo))
        encoded = serialize_delivery(Delivery(delivery_id, cargo))
        del cargo
        await claim.settle(len(encoded))
        return encoded

    async def _claim(self, size: int, call: "_Call") -> Claim | None:
        """Claim room for a cargo about to be sent, as soon as it fits; None if it did not.

        Collections never queue in the budget: a waiting claim for a big cargo would hold up
        every smaller one behind it, and a client that stops reading would hold up everyone.
        Room is looked for again after each of this call's acks, or every POLL seconds.
        """
        loop = asyncio.get_running_loop()
        while not self._fits(size):
            left = call.pacer.stop_at - loop.time()
            if left <= 0:
                return None
            call.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(call.changed.wait(), min(POLL, left))
        return await self.budget.claim(size)  # it fits and nobody queues: granted at once

    def _fits(self, size: int) -> bool:
        used = self.budget.used
        return used == 0 or used + size <= self.budget.capacity

    async def _finish(self, call: "_Call", acker: "asyncio.Task[None]", peer: str,
                      persisted: "asyncio.Task[None]") -> None:
        """End the call: stop reading acks, release what is unacknowledged, remember the rate."""
        acker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await acker
        for ref, claim in call.pending.values():
            claim.release()
            self._sending.discard(ref)
        call.pending.clear()
        self._rates.remember(peer, call.pacer.rate, asyncio.get_running_loop().time())
        await asyncio.shield(asyncio.gather(persisted, *call.deletions, return_exceptions=True))

    async def _read_acks(self, acks: AsyncIterator[cogrpc_pb2.CargoDeliveryAck],
                         call: "_Call") -> None:
        loop = asyncio.get_running_loop()
        try:
            async for ack in acks:
                entry = call.pending.pop(ack.id, None)
                if entry is None:
                    continue
                ref, claim = entry
                call.pacer.acked(ack.id, loop.time())
                call.acked_refs.add(ref)
                claim.release()
                self._sending.discard(ref)
                # A deletion is never cancelled with the call: the gateway has the cargo.
                call.deletions.append(asyncio.ensure_future(
                    asyncio.to_thread(self._store.delete, ref)))
                call.changed.set()
        finally:
            call.changed.set()  # the client half-closed or went away: nothing more will come

class _Call:
    """One CollectCargo call's cargo in flight and its pacing."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self.pending: dict[str, tuple[str, Claim]] = {}  # delivery id -> (store ref, claim)
        self.acked_refs: set[str] = set()
        self.deletions: list[asyncio.Future[bool]] = []
        self.changed = asyncio.Event()  # an ack came, or the acks ended
        self.stopped = False

    async def wait_to_start(self, size: int, acker: "asyncio.Task[None]") -> bool:
        """Wait until a cargo of `size` bytes may start; False to skip it (or stop: see below)."""
        loop = asyncio.get_running_loop()
        while True:
            decision = self.pacer.decide(size, loop.time())
            if decision is Next.START:
                return True
            if decision is Next.SKIP:
                return False
            if decision is Next.STOP or acker.done():
                self.stopped = True
                return False
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), self.pacer.stop_at - loop.time())

    async def drained(self, stop_at: float, acker: "asyncio.Task[None]") -> None:
        """Wait for the acks of what was sent, until `stop_at`."""
        loop = asyncio.get_running_loop()
        while self.pending and not acker.done() and loop.time() < stop_at:
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), stop_at - loop.time())
