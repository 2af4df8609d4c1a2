"""The CargoRelay service for private gateways (RS-008 as deployed; PROTOCOL.md section 6)."""

import asyncio
import base64
import binascii
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import grpc

from courier.cogrpc.budget import ByteBudget, Claim
from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.generated import cogrpc_pb2, cogrpc_pb2_grpc
from courier.cogrpc.inbox import Inbox, Item
from courier.cogrpc.intake import Signed, validate_and_store
from courier.cogrpc.wire import Delivery, Received, WireError, serialize_delivery
from courier.errors import ProtocolError, StoreError
from courier.protocol import MAX_MESSAGE_SIZE, MessageType, RamfMessage, parse_message
from courier.protocol import validate_message as validate
from courier.store import (
    CargoStore,
    CorruptObjectError,
    Direction,
    ObjectMeta,
    ObjectNotFoundError,
    StoreFullError,
)

LOG = logging.getLogger(__name__)
CCA_PREFIXES = ("Relaynet-CCA ", "Awala-CCA ")
MAX_CCA_HEADER = 16 * 1024
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
# Cargo on its way out counts too, from the store read until the gateway acks it; a gateway
# that stops reading or acking stops counting after SEND_HOLD seconds.
SEND_HOLD = 1.0
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


def _deadline_left(context: Context) -> float | None:
    """Return the seconds left before our safety margin ahead of the client's deadline."""
    remaining = context.time_remaining()
    if remaining is None or remaining > 3600:
        return None
    # Stop early enough that the last message and the trailers reach the client in time.
    return remaining - max(0.4, 0.15 * remaining)


class CargoRelay(cogrpc_pb2_grpc.CargoRelayServicer):
    """Receives Internet-bound cargo and hands out the cargo held for a CCA's sender."""

    def __init__(self, store: CargoStore, clock: Clock, counters: ServerCounters,
                 on_message: Callable[[str, datetime], None] | None = None,
                 validation_now: Callable[[datetime], datetime] | None = None) -> None:
        self._store = store
        self._clock = clock
        # The `now` to validate a message created at a given date: with a clock known to be
        # behind, a message is not refused for looking as if it came from the future.
        self._validation_now = validation_now or (lambda _created: clock())
        self.counters = counters
        # Told (sender id, creation date) of each validly signed message, for the clock.
        self._on_message = on_message or (lambda _sender, _created: None)
        self.in_hand = ByteBudget(IN_HAND_BUDGET)
        self._processing = ByteBudget(PROCESSING_BUDGET)

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
        workers = [asyncio.create_task(self._work(inbox, acks, full))
                   for _ in range(PARALLEL_BATCHES)]
        malformed = False
        try:
            while not full.is_set():
                try:
                    received = await self._receive(context)
                except WireError as error:
                    self.counters.reject("malformed_delivery")
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
                    full: asyncio.Event) -> None:
        """Validate and store what the inbox holds, a batch at a time, and queue the acks."""
        while (batch := await inbox.take(BATCH_CARGO, BATCH_BYTES)) is not None:
            try:
                if not full.is_set():
                    outcomes = await self._accept([delivery for delivery, _ in batch], full)
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

    async def _receive(self, context: Context) -> Item | None:
        """Read the next delivery within the in-hand budget; None once the client half-closed."""
        claim = await self.in_hand.claim(MESSAGE_LIMIT, hold_limit=READ_HOLD)
        try:
            delivery = await context.read()
            if isinstance(delivery, Received):  # else grpc.aio.EOF
                await claim.settle(len(delivery.span.source))
                return delivery, claim
        except BaseException:
            claim.release()
            raise
        claim.release()
        return None

    async def _accept(self, batch: list[Received], full: asyncio.Event) -> list[bool]:
        """Return, for each delivery, whether it may be acked: stored, or dropped as bad."""
        size = sum(delivery.span.size for delivery in batch
                   if delivery.span.size <= MAX_MESSAGE_SIZE)  # the rest is dropped unread
        async with self._processing.hold(size):
            outcomes = await asyncio.to_thread(validate_and_store, batch, self._store,
                                               self._validation_now)
        acked: list[bool] = []
        for delivery, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Signed):
                self._on_message(*outcome)
                self.counters.add(cargo_in=1, bytes_in=delivery.span.size)
            elif isinstance(outcome, StoreFullError):
                full.set()
                self.counters.reject("storage_full")
            elif isinstance(outcome, StoreError):
                self.counters.reject("not_stored")  # not acked: the gateway keeps it
            else:
                self.counters.reject(outcome)
                LOG.info("dropped a cargo: %s", outcome)
            acked.append(isinstance(outcome, Signed | str))
        return acked

    # ---- CollectCargo ----------------------------------------------------------------------

    async def CollectCargo(  # noqa: N802 - gRPC method name
        self, request_iterator: AsyncIterator[cogrpc_pb2.CargoDeliveryAck],
        context: Context,
    ) -> AsyncIterator[bytes]:
        """Stream the cargo held for the CCA's sender; delete each on its ack.

        Each CargoDelivery is yielded already encoded, so the cargo itself is gone by the time
        gRPC copies the message: one copy of it in memory, not two.
        """
        self.counters.seen(_peer(context))
        left = _deadline_left(context)
        loop = asyncio.get_running_loop()
        stop_at = None if left is None else loop.time() + left
        cca = await self._accept_cca(context)
        if cca is None:
            return  # as the reference courier: no cargo, status OK
        # RS-000: the courier MUST persist the CCA, to present it to the Internet gateway. The
        # flush runs beside the first cargo going out; the call ends only once it is done.
        persisted = asyncio.create_task(self._persist_cca(cca))
        items = await asyncio.to_thread(self._store.select_for_recipient, cca.sender_id,
                                        self._clock())
        pending: dict[str, tuple[str, Claim]] = {}  # delivery id -> (store ref, its claim)
        all_acked = asyncio.Event()
        all_acked.set()
        acker = asyncio.create_task(self._read_acks(request_iterator, pending, all_acked))
        try:
            for item in items:
                # Read, decrypted and encoded, a cargo briefly exists twice on its way out.
                claim = await self._claim_to_send(2 * item.meta.size, stop_at)
                if claim is None:
                    break  # the client's deadline is near: the rest goes at its next call
                try:
                    cargo = await asyncio.to_thread(self._store.get, item.ref)
                except (ObjectNotFoundError, CorruptObjectError):
                    claim.release()
                    continue
                delivery_id = str(uuid.uuid4())
                pending[delivery_id] = (item.ref, claim)  # the claim ends with the ack
                all_acked.clear()
                self.counters.add(cargo_out=1, bytes_out=len(cargo))
                encoded = serialize_delivery(Delivery(delivery_id, cargo))
                del cargo
                yield encoded
                del encoded
            timeout = None if stop_at is None else max(0.0, stop_at - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(all_acked.wait(), timeout)
        finally:
            acker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await acker
            for _, claim in pending.values():
                claim.release()
            await asyncio.shield(persisted)

    async def _claim_to_send(self, size: int, stop_at: float | None) -> Claim | None:
        """Claim room for a cargo about to be sent; None if it did not come before `stop_at`."""
        timeout = None if stop_at is None else stop_at - asyncio.get_running_loop().time()
        if timeout is not None and timeout <= 0:
            return None
        try:
            return await asyncio.wait_for(self.in_hand.claim(size, hold_limit=SEND_HOLD),
                                          timeout)
        except TimeoutError:
            return None

    async def _persist_cca(self, cca: RamfMessage) -> None:
        """Store the CCA durably (deduplicated by sender and id); a failure is counted."""
        try:
            await asyncio.to_thread(self._store.put,
                                    ObjectMeta.from_message(cca, Direction.TO_INTERNET),
                                    cca.serialized)
        except StoreError as error:
            LOG.warning("could not persist a CCA: %s", error)
            self.counters.reject("cca_not_stored")

    async def _read_acks(self, acks: AsyncIterator[cogrpc_pb2.CargoDeliveryAck],
                         pending: dict[str, tuple[str, Claim]],
                         all_acked: asyncio.Event) -> None:
        try:
            async for ack in acks:
                entry = pending.pop(ack.id, None)
                if entry is not None:
                    ref, claim = entry
                    claim.release()
                    await asyncio.to_thread(self._store.delete, ref)
                if not pending:
                    all_acked.set()
        finally:
            all_acked.set()  # the client half-closed or went away: nothing more will come

    async def _accept_cca(self, context: Context) -> RamfMessage | None:
        """Return the CCA once its header is parsed and the CCA validated, or None."""
        header = next((value for key, value in (context.invocation_metadata() or ())
                       if key == "authorization"), None)
        if not isinstance(header, str):
            self.counters.reject("cca_missing")
            return None
        prefix = next((p for p in CCA_PREFIXES if header.startswith(p)), None)
        if prefix is None or len(header) > MAX_CCA_HEADER:
            self.counters.reject("cca_malformed")
            return None
        try:
            raw = base64.b64decode(header[len(prefix):], validate=True)
            cca = await asyncio.to_thread(parse_message, raw, MessageType.CCA)
            validate(cca, self._validation_now(cca.creation_date), bound="internet")
        except (binascii.Error, ValueError):
            self.counters.reject("cca_malformed")
            return None
        except ProtocolError as error:
            self.counters.reject("cca_" + getattr(error, "reason", "invalid"))
            return None
        self._on_message(cca.sender_id, cca.creation_date)
        self.counters.add(ccas_accepted=1)
        return cca
