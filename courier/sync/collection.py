"""Which cargo a CollectCargo call hands out, and when the next one fits (sans-I/O).

Times are a monotonic clock's seconds, passed in. PROTOCOL.md sections 6 and 10: clients give a
whole call 3 s (JS) or 5 s (JVM, TCP and TLS included), and the Android gateway cannot receive
a message over 4 MiB. A cargo is started only if, at the rate this client has shown, it arrives
before the call must end; what does not fit stays for the client's next call.
"""

import enum
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

SMALL_MESSAGE_LIMIT = 4 * 1024 * 1024  # grpc-java OkHttp's default maxInboundMessageSize
# A CargoDelivery around its cargo: two tags, two varints, a 36-character UUID id.
DELIVERY_FRAMING = 64
# Acks of smaller cargo measure the round trip, not the link: they estimate no rate.
RATE_SAMPLE_MIN = 256 * 1024
MAX_UNACKED = 2  # sent but not yet acknowledged, per call
RATE_MEMORY_SECONDS = 600.0
RATE_MEMORY_PEERS = 64


def delivery_size(cargo_size: int) -> int:
    """Return an upper bound of the encoded CargoDelivery carrying a cargo of that size."""
    return cargo_size + DELIVERY_FRAMING


def message_limit(user_agent: str, small_agents: Iterable[str]) -> int | None:
    """Return the largest message this client takes, or None when it takes any cargo."""
    agent = user_agent.strip()
    return SMALL_MESSAGE_LIMIT if any(agent.startswith(p) for p in small_agents if p) else None


@dataclass(frozen=True)
class Selection(Generic[T]):
    """The cargo to offer a client, in order, and those too big for it (kept)."""

    offer: tuple[T, ...]
    too_big: tuple[T, ...]


def select(items: Sequence[T], size: Callable[[T], int], limit: int | None) -> Selection[T]:
    """Split the waiting cargo (`size` gives a cargo's size) into what this client can take."""
    if limit is None:
        return Selection(tuple(items), ())
    return Selection(tuple(i for i in items if delivery_size(size(i)) <= limit),
                     tuple(i for i in items if delivery_size(size(i)) > limit))


def too_big_for_small_clients(sizes: Iterable[int]) -> int:
    """Return how many cargo of these sizes no client with the 4 MiB limit can receive."""
    return sum(1 for s in sizes if delivery_size(s) > SMALL_MESSAGE_LIMIT)


class Next(enum.Enum):
    """What to do with the next cargo."""

    START = "start"  # send it now
    WAIT = "wait"  # wait for an ack, then ask again
    SKIP = "skip"  # it cannot arrive in time: keep it for the next call, try the next one
    STOP = "stop"  # the call's time is up


@dataclass
class Pacer:
    """Estimates the client's receive rate from this call's acks; says whether a cargo fits.

    The rate is bytes acknowledged over the time the link was busy with them (from a cargo's
    send, or the previous ack if later, to its ack). Until a cargo big enough to measure is
    acknowledged, one cargo at a time is sent (or two small ones): nothing else tells how fast the
    client reads.
    `prior` (this peer's rate in an earlier call) can only hold a cargo back, never add one.
    """

    stop_at: float
    prior: float | None = None
    max_unacked: int = MAX_UNACKED
    _sent: dict[str, tuple[int, float]] = field(default_factory=dict)
    _bytes: int = 0
    _busy: float = 0.0
    _last_ack: float = float("-inf")

    @property
    def rate(self) -> float | None:
        """Return the measured rate in bytes per second, or None."""
        return self._bytes / self._busy if self._bytes and self._busy > 0 else None

    @property
    def in_flight(self) -> int:
        """Return how many cargo are sent and not acknowledged."""
        return len(self._sent)

    def sent(self, key: str, size: int, now: float) -> None:
        """Record that a delivery of `size` bytes started at `now`."""
        self._sent[key] = (size, now)

    def acked(self, key: str, now: float) -> None:
        """Record an ack; a big enough cargo adds to the rate estimate."""
        entry = self._sent.pop(key, None)
        if entry is None:
            return
        size, started = entry
        busy_from = max(started, self._last_ack)
        self._last_ack = now
        if size >= RATE_SAMPLE_MIN and now > busy_from:
            self._bytes += size
            self._busy += now - busy_from

    def decide(self, size: int, now: float) -> Next:
        """Tell whether a cargo of `size` bytes (encoded) may start at `now`."""
        if now >= self.stop_at:
            return Next.STOP
        if self.in_flight >= self.max_unacked:
            return Next.WAIT
        rate = self.rate
        if rate is None:
            if self.prior is not None and now + size / self.prior > self.stop_at:
                return Next.WAIT if self.in_flight else Next.SKIP
            # Small cargo cannot overrun a deadline by much: they need not wait for a rate.
            small = sum(s for s, _ in self._sent.values()) + size < RATE_SAMPLE_MIN
            return Next.WAIT if self.in_flight and not small else Next.START
        if now + (self._backlog(rate, now) + size) / rate <= self.stop_at:
            return Next.START
        return Next.WAIT if self.in_flight else Next.SKIP

    def _backlog(self, rate: float, now: float) -> float:
        """Return the bytes in flight not yet through the link, at `rate`."""
        if not self._sent:
            return 0.0
        since = max(min(started for _, started in self._sent.values()), self._last_ack)
        total = sum(size for size, _ in self._sent.values())
        return max(0.0, total - rate * (now - since))


@dataclass
class RateMemory:
    """Each peer's last measured rate, for a few minutes (bounded in peers)."""

    keep_for: float = RATE_MEMORY_SECONDS
    capacity: int = RATE_MEMORY_PEERS
    _rates: "OrderedDict[str, tuple[float, float]]" = field(default_factory=OrderedDict)

    def remember(self, peer: str, rate: float | None, now: float) -> None:
        """Keep `rate` for `peer` (a None rate keeps the previous one)."""
        if rate is None:
            return
        self._rates.pop(peer, None)
        self._rates[peer] = (rate, now)
        while len(self._rates) > self.capacity:
            self._rates.popitem(last=False)

    def recall(self, peer: str, now: float) -> float | None:
        """Return the peer's rate if measured within `keep_for` seconds."""
        entry = self._rates.get(peer)
        if entry is None or now - entry[1] > self.keep_for:
            return None
        return entry[0]
