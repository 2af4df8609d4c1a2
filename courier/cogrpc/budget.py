"""Byte budgets shared by every call: how much cargo the server holds at once.

A claim counts bytes until released. A claim made before reading a message counts the largest
message that may arrive, for at most `hold_limit` seconds: a client that sends slowly, or not
at all, stops counting after that, so it cannot keep the others waiting; its message claims
its real size once it has arrived.
"""

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator


class ByteBudget:
    """An asyncio semaphore counted in bytes, first come first served.

    One claim larger than the whole budget still passes when nothing else is held.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    def _fits(self, size: int) -> bool:
        return self.used == 0 or self.used + size <= self.capacity

    async def _acquire(self, size: int) -> None:
        if not self._waiters and self._fits(size):
            self.used += size
            return
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (size, granted)
        self._waiters.append(entry)
        try:
            await granted
        except asyncio.CancelledError:
            if entry in self._waiters:
                self._waiters.remove(entry)
                self._wake()  # a smaller claim behind this one may fit now
            elif granted.done() and not granted.cancelled():
                self._release(size)  # granted just as the waiter was cancelled
            raise

    def _release(self, size: int) -> None:
        self.used -= size
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._fits(self._waiters[0][0]):
            size, granted = self._waiters.popleft()
            if not granted.done():
                self.used += size
                granted.set_result(None)

    async def claim(self, size: int, hold_limit: float | None = None) -> "Claim":
        """Wait until `size` bytes fit, then count them until released (or `hold_limit` s)."""
        await self._acquire(size)
        return Claim(self, size, hold_limit)

    @contextlib.asynccontextmanager
    async def hold(self, size: int) -> AsyncIterator[None]:
        """Hold `size` bytes for the block."""
        claim = await self.claim(size)
        try:
            yield
        finally:
            claim.release()


class Claim:
    """Bytes counted against a budget; release exactly once, settle at most once."""

    def __init__(self, budget: ByteBudget, size: int, hold_limit: float | None) -> None:
        self._budget = budget
        self.size = size
        self.counted = True
        self._timer = (None if hold_limit is None else
                       asyncio.get_running_loop().call_later(hold_limit, self._lapse))

    def _lapse(self) -> None:
        if self.counted:
            self.counted = False
            self._budget._release(self.size)

    async def settle(self, size: int) -> None:
        """Count exactly `size` bytes from now on, with no time limit (waiting if it lapsed)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.counted and size <= self.size:
            spare, self.size = self.size - size, size
            self._budget._release(spare)
            return
        self._lapse()
        await self._budget._acquire(size)
        self.size, self.counted = size, True

    def release(self) -> None:
        """Stop counting these bytes."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._lapse()
