"""The collection core: what a client can receive and whether the next cargo arrives in time."""

import pytest

from courier.sync.collection import (
    MAX_UNACKED,
    RATE_SAMPLE_MIN,
    SMALL_MESSAGE_LIMIT,
    Next,
    Pacer,
    RateMemory,
    delivery_size,
    message_limit,
    select,
    too_big_for_small_clients,
)

MIB = 1024 * 1024


@pytest.mark.parametrize(("agent", "limited"), [
    ("grpc-java-okhttp/1.61.0", True),
    ("grpc-java-okhttp/1.61.0 grpc-python/1.66.0 (linux; chttp2)", True),
    ("grpc-node-js/1.14.7", False),
    ("grpc-python/1.66.0", False),
    ("", False),
])
def test_android_user_agents_get_the_4_mib_limit(agent: str, limited: bool) -> None:
    limit = message_limit(agent, ("grpc-java-okhttp/",))
    assert limit == (SMALL_MESSAGE_LIMIT if limited else None)


def test_an_empty_prefix_limits_no_one() -> None:
    assert message_limit("anything", ("",)) is None


def test_cargo_over_4_mib_encoded_is_kept_for_other_clients() -> None:
    sizes = [2048, 8 * MIB, SMALL_MESSAGE_LIMIT - 64, SMALL_MESSAGE_LIMIT - 63, 100]
    limited = select(sizes, lambda s: s, SMALL_MESSAGE_LIMIT)
    assert limited.offer == (2048, SMALL_MESSAGE_LIMIT - 64, 100)  # order kept
    assert limited.too_big == (8 * MIB, SMALL_MESSAGE_LIMIT - 63)
    assert select(sizes, lambda s: s, None).offer == tuple(sizes)
    assert too_big_for_small_clients(sizes) == 2
    assert delivery_size(SMALL_MESSAGE_LIMIT - 64) == SMALL_MESSAGE_LIMIT


def test_without_a_measure_one_cargo_at_a_time() -> None:
    pacer = Pacer(stop_at=4.0)
    assert pacer.decide(8 * MIB, 0.1) is Next.START  # nothing tells it will not fit
    pacer.sent("a", 8 * MIB, 0.1)
    assert pacer.decide(1000, 0.2) is Next.WAIT


def test_two_small_cargo_may_be_in_flight_before_a_rate_is_known() -> None:
    pacer = Pacer(stop_at=2.5)
    pacer.sent("a", 2000, 0.0)
    assert pacer.decide(3000, 0.0) is Next.START
    pacer.sent("b", 3000, 0.0)
    assert pacer.decide(1000, 0.0) is Next.WAIT  # never more than MAX_UNACKED
    pacer.acked("a", 0.01)
    assert pacer.decide(RATE_SAMPLE_MIN, 0.01) is Next.WAIT  # a big one waits for the pipe


def test_at_1_mb_per_s_a_second_2_mib_cargo_does_not_fit_in_5_s() -> None:
    # The JVM client's 5 s, less the server's margin: about 4.1 s to send in.
    pacer = Pacer(stop_at=4.1)
    pacer.sent("a", 2 * MIB, 0.0)
    pacer.acked("a", 2.1)  # 1 MB/s
    assert pacer.rate == pytest.approx(2 * MIB / 2.1)
    assert pacer.decide(2 * MIB, 2.1) is Next.SKIP
    assert pacer.decide(1024 * 1024, 2.1) is Next.START  # a smaller one still fits


def test_fast_clients_get_two_in_flight_and_no_more() -> None:
    pacer = Pacer(stop_at=4.0)
    pacer.sent("a", MIB, 0.0)
    pacer.acked("a", 0.01)  # 100 MB/s
    for n in range(MAX_UNACKED):
        assert pacer.decide(MIB, 0.02) is Next.START
        pacer.sent(f"b{n}", MIB, 0.02)
    assert pacer.decide(MIB, 0.02) is Next.WAIT
    pacer.acked("b0", 0.03)
    assert pacer.decide(MIB, 0.03) is Next.START


def test_a_cargo_in_flight_makes_the_next_wait_rather_than_skip() -> None:
    pacer = Pacer(stop_at=2.9)
    pacer.sent("a", 2 * MIB, 0.0)
    pacer.acked("a", 1.0)  # about 2 MB/s
    pacer.sent("b", 2 * MIB, 1.0)
    # b's bytes are still ahead of a new one: it does not fit yet, but may once b is acked.
    assert pacer.decide(2 * MIB, 1.1) is Next.WAIT
    pacer.acked("b", 1.9)
    assert pacer.decide(2 * MIB, 1.9) is Next.START  # 0.95 s at the new estimate
    assert pacer.decide(2 * MIB, 2.5) is Next.SKIP
    assert pacer.decide(10, 2.9) is Next.STOP


def test_small_cargo_measure_the_round_trip_not_the_link() -> None:
    pacer = Pacer(stop_at=3.0)
    pacer.sent("a", 2000, 0.0)
    pacer.acked("a", 0.05)
    assert pacer.rate is None  # 40 kB/s would starve every big cargo behind it
    assert pacer.decide(8 * MIB, 0.05) is Next.START
    pacer.sent("b", RATE_SAMPLE_MIN, 0.1)
    pacer.acked("b", 0.2)
    assert pacer.rate == pytest.approx(RATE_SAMPLE_MIN / 0.1)


def test_busy_time_counts_from_the_previous_ack_when_later_than_the_send() -> None:
    pacer = Pacer(stop_at=10.0)
    pacer.sent("a", MIB, 0.0)
    pacer.sent("b", MIB, 0.0)
    pacer.acked("a", 1.0)
    pacer.acked("b", 2.0)  # b's bytes moved between 1.0 and 2.0
    assert pacer.rate == pytest.approx(MIB / 1.0)


def test_a_prior_rate_only_holds_cargo_back() -> None:
    slow = Pacer(stop_at=4.0, prior=100_000.0)
    assert slow.decide(2 * MIB, 0.0) is Next.SKIP
    assert slow.decide(200_000, 0.0) is Next.START
    fast = Pacer(stop_at=4.0, prior=1e9)
    fast.sent("a", MIB, 0.0)
    assert fast.decide(MIB, 0.0) is Next.WAIT  # no second one in flight on a prior alone


def test_rate_memory_forgets_after_a_while_and_is_bounded() -> None:
    memory = RateMemory(keep_for=600.0, capacity=2)
    memory.remember("a", 1e6, 0.0)
    memory.remember("a", None, 1.0)  # nothing measured: the old figure stays
    assert memory.recall("a", 599.0) == 1e6
    assert memory.recall("a", 601.0) is None
    memory.remember("b", 2.0, 0.0)
    memory.remember("c", 3.0, 0.0)
    assert memory.recall("a", 1.0) is None  # the oldest peer went first
    assert memory.recall("c", 1.0) == 3.0
