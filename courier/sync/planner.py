"""The Internet-sync plan for one gateway, sans I/O: cargo, CCAs and call outcomes in, actions out.

Delivery first, in calls sized to end within a budget (the production gateway cuts every call
at 5 s, PROTOCOL.md section 10); then collection with one CCA per private gateway, whatever
happened to delivery (section 8).
"""

from collections.abc import Sequence
from datetime import datetime
from enum import Enum

from courier.sync.internet import CcaFate, Retry, after_failure, cca_fate, is_due
from courier.sync.plan_types import (
    Acked,
    Action,
    CargoInfo,
    CcaInfo,
    CollectionEnded,
    DeleteCargo,
    DeleteCca,
    DeliveryEnded,
    Event,
    Finished,
    KeepCca,
    OpenCollection,
    OpenDelivery,
    PlanSettings,
    PlanSummary,
    TooBig,
    WaitForReplies,
)
from courier.sync.sizing import CallSizer

# A delivery ending with one of these will not go better with the next call: stop delivering.
HOPELESS = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED", "INVALID_ARGUMENT",
                      "UNIMPLEMENTED", "FAILED_PRECONDITION", "RESOURCE_EXHAUSTED"})
COLD_START = "UNAVAILABLE"  # Cloud Run's answer while an instance starts (section 10)


class Phase(Enum):
    """Where the plan is."""

    DELIVERING = "delivering"
    COLLECTING = "collecting"
    DONE = "done"


class GatewayPlanner:
    """Plans one sync with one Internet gateway; feed it events, do its actions in order."""

    def __init__(self, cargo: Sequence[CargoInfo], ccas: Sequence[CcaInfo],
                 settings: PlanSettings | None = None) -> None:
        self.settings = settings or PlanSettings()
        self.sizer = CallSizer(self.settings)
        self.summary = PlanSummary()
        self.phase = Phase.DELIVERING
        self._queue = list(cargo)
        self._ccas = list(ccas)
        self._open: dict[str, CargoInfo] = {}  # cargo of the open delivery call
        self._acked: list[tuple[CargoInfo, float]] = []
        self._alone_cuts: dict[str, int] = {}
        self._stalls = 0
        self._first_call = True
        self._senders: list[list[CcaInfo]] = []
        self._presenting: CcaInfo | None = None

    def start(self, now: datetime) -> list[Action]:
        """Return the first actions."""
        if not self._queue and not self._ccas:
            return self._finish()
        # With nothing to deliver, an empty delivery call wakes a cold gateway up first, so that
        # its UNAVAILABLE never costs a CCA (JS clients half-close such a call at once).
        return [self._open_delivery(self.sizer.pick(self._queue))]

    def feed(self, event: Event, now: datetime) -> list[Action]:
        """Return the actions that follow an event."""
        if isinstance(event, Acked):
            return self._acked_one(event)
        if isinstance(event, DeliveryEnded) and self.phase is Phase.DELIVERING:
            return self._delivery_ended(event, now)
        if isinstance(event, CollectionEnded) and self._presenting is not None:
            return self._collection_ended(event, now)
        raise ValueError(f"{type(event).__name__} does not fit phase {self.phase.value}")

    def _open_delivery(self, cargo: list[CargoInfo]) -> OpenDelivery:
        self._open = {c.ref: c for c in cargo}
        self._acked = []
        self.summary.calls += 1
        return OpenDelivery(tuple(c.ref for c in cargo))

    def _acked_one(self, event: Acked) -> list[Action]:
        cargo = self._open.pop(event.ref, None)
        if cargo is None:
            return []  # not in the open call, or acked twice: nothing to delete
        self._acked.append((cargo, event.elapsed))
        self._queue.remove(cargo)
        self.summary.delivered += 1
        self.summary.delivered_bytes += cargo.size
        return [DeleteCargo(cargo.ref)]

    def _delivery_ended(self, event: DeliveryEnded, now: datetime) -> list[Action]:
        unacked = list(self._open.values())
        sent = unacked + [c for c, _ in self._acked]
        first, self._first_call = self._first_call, False
        self._open = {}
        if first and event.status == COLD_START and not self._acked:
            return [self._open_delivery(unacked)]  # once: the instance was starting
        actions: list[Action] = []
        if self._acked:
            self.sizer.measured(sum(c.size for c in sent), sum(c.size for c, _ in self._acked),
                                max(t for _, t in self._acked))
            self._stalls = 0
        if unacked:
            self.summary.cuts += 1
            if event.status in HOPELESS:
                self.summary.stopped = f"delivery refused ({event.status})"
                return self._start_collection(now)
            if not self._acked:
                actions += self._no_progress(unacked, event)
        if self._stalls >= self.settings.max_stalls:
            self.summary.stopped = f"no progress ({event.status})"
            return actions + self._start_collection(now)
        if not self._queue:
            return actions + self._start_collection(now)
        return [*actions, self._open_delivery(self.sizer.pick(self._queue))]

    def _no_progress(self, unacked: list[CargoInfo], event: DeliveryEnded) -> list[Action]:
        """Count a call that moved nothing: a cut of a lone big cargo, or a stall."""
        lone = unacked[0] if len(unacked) == 1 else None
        if lone is not None and self.sizer.rate is not None and not self.sizer.fits(lone):
            # The link moves bytes (something was acked in this sync) but not this cargo in time.
            cuts = self._alone_cuts[lone.ref] = self._alone_cuts.get(lone.ref, 0) + 1
            if cuts >= self.settings.too_big_after:
                self._queue.remove(lone)
                self.summary.too_big.append(lone.size)
                return [TooBig(lone.ref, lone.size)]
            return []
        self._stalls += 1
        self.sizer.no_progress(min(c.size for c in unacked), event.elapsed)
        return []

    def _start_collection(self, now: datetime) -> list[Action]:
        self.phase = Phase.COLLECTING
        self.summary.left = len(self._queue)
        self.summary.rate = self.sizer.rate
        by_sender: dict[str, list[CcaInfo]] = {}
        for cca in sorted(self._ccas, key=lambda c: (c.created, c.ref)):
            by_sender.setdefault(cca.sender_id, []).append(cca)
        self._senders = [by_sender[s] for s in sorted(by_sender)]
        head: list[Action] = [WaitForReplies()] if self.summary.delivered else []
        return head + self._next_collection(now)

    def _next_collection(self, now: datetime) -> list[Action]:
        """Present the oldest usable CCA of the next private gateway (one per gateway)."""
        while self._senders:
            candidates = self._senders[0]
            while candidates:
                cca = candidates.pop(0)
                # Never before its creation date nor after its expiry (RS-000 timing).
                if cca.created <= now < cca.expiry and is_due(cca.retry, now):
                    self._presenting = cca
                    self.summary.ccas_used += 1
                    return [OpenCollection(cca.ref)]
            self._senders.pop(0)
        return self._finish()

    def _collection_ended(self, event: CollectionEnded, now: datetime) -> list[Action]:
        cca, self._presenting = self._presenting, None
        assert cca is not None
        if cca_fate(event.status) is CcaFate.RETRY:
            self.summary.collect_error = f"collection ended with {event.status}; the CCA is kept"
            self._senders.pop(0)  # this gateway's turn is over; its CCA is kept for later
            return [KeepCca(cca.ref, after_failure(cca.retry, now)), *self._next_collection(now)]
        if event.status == "OK":
            # One CCA per private gateway per visit (section 10): the others are kept for later.
            later = Retry(0, now + self.settings.revisit)
            kept: list[Action] = [
                KeepCca(other.ref, later) for other in self._senders.pop(0)
                if other.retry is None or other.retry.next_attempt < later.next_attempt]
            return [DeleteCca(cca.ref, event.status), *kept, *self._next_collection(now)]
        self.summary.ccas_dropped += 1  # refused: the next CCA of this gateway may work
        return [DeleteCca(cca.ref, event.status), *self._next_collection(now)]

    def _finish(self) -> list[Action]:
        self.phase = Phase.DONE
        self.summary.left = len(self._queue)
        return [Finished(self.summary)]
