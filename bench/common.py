"""What a benchmark returns, and helpers to time things."""

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure, with the baseline measured in the same run when there is one."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        """Return value / baseline, or None without a baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


def best_rate(action: Callable[[], object], items: float, *, repeat: int = 3) -> float:
    """Return the best rate (items per second) of `action` over `repeat` runs."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        elapsed = time.perf_counter() - start
        best = max(best, items / elapsed)
    return best
