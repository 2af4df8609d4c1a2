"""The inbox that hands a call's deliveries to its workers in batches."""

import asyncio
from collections.abc import Awaitable, Callable

from courier.cogrpc.budget import ByteBudget
from courier.cogrpc.inbox import Inbox, Item
from courier.cogrpc.wire import Received
from courier.protocol.ber import Span

MiB = 1024 * 1024


def _run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


async def _item(budget: ByteBudget, name: str, size: int) -> Item:
    return Received(name, Span(b"", 0, size)), await budget.claim(size)


def _names(batch: list[Item] | None) -> list[str]:
    assert batch is not None
    return [delivery.id for delivery, _ in batch]


def test_a_taker_gets_everything_waiting_up_to_a_count_and_a_size() -> None:
    async def scenario() -> None:
        budget = ByteBudget(100 * MiB)
        inbox = Inbox(limit=10)
        for name, size in [("a", MiB), ("b", MiB), ("c", MiB), ("d", 3 * MiB), ("e", 1)]:
            await inbox.put(await _item(budget, name, size))
        assert _names(await inbox.take(most=8, most_bytes=4 * MiB)) == ["a", "b", "c"]
        # One item bigger than the size still goes, alone.
        assert _names(await inbox.take(most=8, most_bytes=2 * MiB)) == ["d"]
        assert _names(await inbox.take(most=8, most_bytes=2 * MiB)) == ["e"]
        for name in "fgh":
            await inbox.put(await _item(budget, name, 1))
        assert _names(await inbox.take(most=2, most_bytes=MiB)) == ["f", "g"]
        assert _names(await inbox.take(most=2, most_bytes=MiB)) == ["h"]
    _run(scenario)


def test_a_full_inbox_holds_the_reader_back_until_a_batch_is_taken() -> None:
    async def scenario() -> None:
        budget = ByteBudget(100 * MiB)
        inbox = Inbox(limit=2)
        await inbox.put(await _item(budget, "a", 1))
        await inbox.put(await _item(budget, "b", 1))
        third = asyncio.ensure_future(inbox.put(await _item(budget, "c", 1)))
        await asyncio.sleep(0.01)
        assert not third.done()
        assert _names(await inbox.take(most=8, most_bytes=MiB)) == ["a", "b"]
        await asyncio.wait_for(third, 1)
        assert _names(await inbox.take(most=8, most_bytes=MiB)) == ["c"]
    _run(scenario)


def test_takers_wait_for_items_and_end_once_closed_and_empty() -> None:
    async def scenario() -> None:
        budget = ByteBudget(100 * MiB)
        inbox = Inbox(limit=4)
        takers = [asyncio.ensure_future(inbox.take(most=8, most_bytes=MiB)) for _ in range(2)]
        await asyncio.sleep(0.01)
        assert not any(taker.done() for taker in takers)
        await inbox.put(await _item(budget, "a", 1))
        await inbox.close()
        results = await asyncio.wait_for(asyncio.gather(*takers), 1)
        batches = [result for result in results if result is not None]
        assert len(batches) == 1 and _names(batches[0]) == ["a"]  # the other taker got None
        assert await inbox.take(most=8, most_bytes=MiB) is None
    _run(scenario)


def test_drain_returns_what_no_worker_took() -> None:
    async def scenario() -> None:
        budget = ByteBudget(100 * MiB)
        inbox = Inbox(limit=4)
        for name in "ab":
            await inbox.put(await _item(budget, name, MiB))
        left = inbox.drain()
        assert [delivery.id for delivery, _ in left] == ["a", "b"]
        for _, claim in left:
            claim.release()
        assert budget.used == 0
        await inbox.close()
        assert await inbox.take(most=8, most_bytes=MiB) is None
    _run(scenario)
