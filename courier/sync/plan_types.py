"""Inputs, events and actions of the Internet-sync planner (frozen values, no behaviour)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from courier.sync.internet import Retry


@dataclass(frozen=True)
class CargoInfo:
    """A stored cargo bound to this Internet gateway: its store reference and size."""

    ref: str
    size: int


@dataclass(frozen=True)
class CcaInfo:
    """A stored CCA for this Internet gateway; `sender_id` is the private gateway's node id."""

    ref: str
    sender_id: str
    created: datetime
    expiry: datetime
    retry: Retry | None = None


@dataclass(frozen=True)
class PlanSettings:
    """How calls are sized (PROTOCOL.md section 10: the production gateway cuts calls at 5 s)."""

    call_budget: float = 3.5  # seconds each DeliverCargo call aims to last at most
    initial_rate: float = 256_000.0  # bytes/s assumed before anything was acked: start small
    growth: float = 4.0  # a call carries at most this many times the bytes of the previous one
    too_big_after: int = 2  # cuts of a cargo sent alone before it is reported too big
    max_stalls: int = 2  # consecutive calls with no ack before delivery stops
    # After a collection for a private gateway, its other CCAs wait this long: the Internet
    # gateway returns all pending parcels to each CCA (section 10), so another press in the same
    # visit would only bring the same replies again and spend a CCA the next visit needs.
    revisit: timedelta = timedelta(hours=1)


# Events: what happened on the wire (elapsed seconds since the call started, monotonic).
@dataclass(frozen=True)
class Acked:
    """The gateway acknowledged a cargo of the open delivery call."""

    ref: str
    elapsed: float


@dataclass(frozen=True)
class DeliveryEnded:
    """The open delivery call ended: "OK" when every cargo was acked, else its status."""

    status: str
    elapsed: float


@dataclass(frozen=True)
class CollectionEnded:
    """The open collection call ended with this status."""

    status: str


Event = Acked | DeliveryEnded | CollectionEnded


# Actions: what the adapter must do, in order.
@dataclass(frozen=True)
class OpenDelivery:
    """Open a DeliverCargo call with these cargo (none: a wake-up call before collecting)."""

    refs: tuple[str, ...]


@dataclass(frozen=True)
class DeleteCargo:
    """The gateway has this cargo now: delete it from the store."""

    ref: str


@dataclass(frozen=True)
class WaitForReplies:
    """Give the gateway time to produce replies to what was delivered (section 8)."""


@dataclass(frozen=True)
class OpenCollection:
    """Open a CollectCargo call presenting this CCA."""

    ref: str


@dataclass(frozen=True)
class DeleteCca:
    """This CCA is spent or will never work: delete it."""

    ref: str
    status: str


@dataclass(frozen=True)
class KeepCca:
    """This CCA could not be used now: keep it and try again after `retry.next_attempt`."""

    ref: str
    retry: Retry


@dataclass(frozen=True)
class TooBig:
    """This cargo cannot go through the uplink within a call: kept and reported."""

    ref: str
    size: int


@dataclass(frozen=True)
class Finished:
    """The plan is over; the summary says what happened."""

    summary: "PlanSummary"


Action = (OpenDelivery | DeleteCargo | WaitForReplies | OpenCollection | DeleteCca | KeepCca
          | TooBig | Finished)


@dataclass
class PlanSummary:
    """Counts for the report."""

    delivered: int = 0
    delivered_bytes: int = 0
    calls: int = 0
    cuts: int = 0
    left: int = 0
    too_big: list[int] = field(default_factory=list)  # sizes of cargo too big for the link
    stopped: str | None = None  # why delivery stopped with cargo left
    ccas_used: int = 0
    ccas_dropped: int = 0
    collect_error: str | None = None
    rate: float | None = None  # bytes/s measured from acks
