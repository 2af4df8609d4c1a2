"""Deliveries read from one call and not yet taken by a worker, handed out in batches."""

import asyncio
from collections import deque

from courier.cogrpc.budget import Claim
from courier.cogrpc.wire import Received

Item = tuple[Received, Claim]


class Inbox:
    """A bounded queue whose takers get every waiting item, up to a count and a byte size."""

    def __init__(self, limit: int) -> None:
        self._items: deque[Item] = deque()
        self._limit = limit
        self._changed = asyncio.Condition()
        self._closed = False

    async def put(self, item: Item) -> None:
        """Add an item, waiting while the inbox holds `limit` of them."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._items) < self._limit)
            self._items.append(item)
            self._changed.notify_all()

    async def close(self) -> None:
        """Say nothing more will come: takers get what is left, then None."""
        async with self._changed:
            self._closed = True
            self._changed.notify_all()

    async def take(self, most: int, most_bytes: int) -> list[Item] | None:
        """Wait for items; return the oldest ones, or None once closed and empty.

        At least one, at most `most`, and no more than `most_bytes` in all beyond the first.
        """
        async with self._changed:
            await self._changed.wait_for(lambda: bool(self._items) or self._closed)
            if not self._items:
                return None
            batch = [self._items.popleft()]
            size = batch[0][0].span.size
            while (self._items and len(batch) < most
                   and size + self._items[0][0].span.size <= most_bytes):
                item = self._items.popleft()
                batch.append(item)
                size += item[0].span.size
            self._changed.notify_all()
            return batch

    def drain(self) -> list[Item]:
        """Remove and return whatever is left."""
        items = list(self._items)
        self._items.clear()
        return items
