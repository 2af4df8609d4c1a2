"""The byte budget that bounds the cargo the server holds across calls."""

import asyncio
from collections.abc import Awaitable, Callable

from courier.cogrpc.budget import ByteBudget, Claim

MiB = 1024 * 1024


def _run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 10))


async def _pending(awaitable: Awaitable[Claim]) -> "asyncio.Task[Claim]":
    task = asyncio.ensure_future(awaitable)
    await asyncio.sleep(0.01)
    return task


def test_claims_wait_until_their_bytes_fit_first_come_first_served() -> None:
    async def scenario() -> None:
        budget = ByteBudget(10 * MiB)
        first = await budget.claim(6 * MiB)
        big = await _pending(budget.claim(6 * MiB))
        small = await _pending(budget.claim(1 * MiB))
        assert not big.done() and not small.done()  # the small one does not jump the queue
        first.release()
        assert (await big).size == 6 * MiB
        assert (await small).size == 1 * MiB
        assert budget.used == 7 * MiB
    _run(scenario)


def test_a_claim_larger_than_the_budget_passes_alone() -> None:
    async def scenario() -> None:
        budget = ByteBudget(4 * MiB)
        huge = await budget.claim(9 * MiB)
        other = await _pending(budget.claim(1))
        assert not other.done()
        huge.release()
        (await other).release()
        assert budget.used == 0
    _run(scenario)


def test_a_cancelled_waiter_gives_way_and_leaks_nothing() -> None:
    async def scenario() -> None:
        budget = ByteBudget(10 * MiB)
        held = await budget.claim(8 * MiB)
        blocked = await _pending(budget.claim(5 * MiB))
        behind = await _pending(budget.claim(2 * MiB))
        blocked.cancel()
        await asyncio.sleep(0)
        assert (await behind).size == 2 * MiB  # no longer queued behind the cancelled one
        held.release()
        assert budget.used == 2 * MiB
    _run(scenario)


def _counted(claim: Claim) -> bool:
    # Read through a call: mypy would keep `claim.counted` narrowed across the awaits.
    return claim.counted


def test_a_read_claim_lapses_after_its_hold_limit_so_others_go_ahead() -> None:
    async def scenario() -> None:
        budget = ByteBudget(10 * MiB)
        silent = await budget.claim(9 * MiB, hold_limit=0.05)
        waiting = await _pending(budget.claim(9 * MiB, hold_limit=5))
        assert not waiting.done()
        claim = await waiting  # the silent sender's claim lapsed
        assert not _counted(silent) and budget.used == 9 * MiB
        # The silent sender's message finally arrives: it must claim its real size again.
        settling = asyncio.ensure_future(silent.settle(2 * MiB))
        await asyncio.sleep(0.01)
        assert not settling.done()
        await claim.settle(1 * MiB)  # the other read's message was small: room is given back
        await settling
        assert _counted(silent) and budget.used == 3 * MiB
        silent.release()
        silent.release()  # releasing twice is harmless
        claim.release()
        assert budget.used == 0
    _run(scenario)


def test_settling_keeps_the_claim_beyond_its_hold_limit() -> None:
    async def scenario() -> None:
        budget = ByteBudget(10 * MiB)
        claim = await budget.claim(9 * MiB, hold_limit=0.02)
        await claim.settle(3 * MiB)
        await asyncio.sleep(0.05)
        assert claim.counted and budget.used == 3 * MiB
        async with budget.hold(7 * MiB):
            assert budget.used == 10 * MiB
        claim.release()
        assert budget.used == 0
    _run(scenario)
