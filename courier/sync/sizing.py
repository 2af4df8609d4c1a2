"""Call sizing for DeliverCargo: pick cargo for a call that should end within its time budget."""

from collections.abc import Sequence

from courier.sync.plan_types import CargoInfo, PlanSettings

MIN_ELAPSED = 0.01  # seconds: an ack sooner than this says nothing about the rate


class CallSizer:
    """Measures the uplink from acked bytes over time and sizes the next call from it."""

    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings
        self.rate: float | None = None  # bytes/s measured in this sync, None until an ack
        self._guess = settings.initial_rate
        self._last_call_bytes: int | None = None

    def target(self) -> float:
        """Return the bytes the next call should carry: the budget at the rate, growth capped."""
        rate = self.rate if self.rate is not None else self._guess
        target = rate * self.settings.call_budget
        if self._last_call_bytes:
            # Small calls under-measure (latency dominates): let them grow, but not wildly.
            target = min(target, self._last_call_bytes * self.settings.growth)
        return target

    def pick(self, queue: Sequence[CargoInfo]) -> list[CargoInfo]:
        """Return the cargo for the next call, in queue order; never empty if the queue is not.

        Cargo that fit the target go together; if none does, the smallest goes alone.
        """
        target, total, picked = self.target(), 0, []
        for cargo in queue:
            if total + cargo.size <= target:
                picked.append(cargo)
                total += cargo.size
        if not picked and queue:
            picked = [min(queue, key=lambda c: c.size)]
        return picked

    def fits(self, cargo: CargoInfo) -> bool:
        """Tell whether a cargo fits one call's budget at the measured rate."""
        return self.rate is not None and cargo.size <= self.rate * self.settings.call_budget

    def measured(self, sent_bytes: int, acked_bytes: int, last_ack: float | None) -> None:
        """Learn from a call that got acks: the rate is the acked bytes over their time."""
        self._last_call_bytes = sent_bytes
        if acked_bytes and last_ack is not None:
            self.rate = acked_bytes / max(last_ack, MIN_ELAPSED)

    def no_progress(self, smallest: int, elapsed: float) -> None:
        """Learn from a call with no ack: the link moved less than `smallest` in `elapsed`."""
        bound = smallest / elapsed if elapsed > MIN_ELAPSED else None
        if self.rate is not None:
            self.rate = min(self.rate / 2, bound) if bound is not None else self.rate / 2
        else:
            self._guess = min(self._guess / 2, bound) if bound is not None else self._guess / 2
        self._last_call_bytes = None
