"""The sans-I/O Internet-sync planner: table cases, and invariants against a random gateway."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from courier.sync.internet import Retry
from courier.sync.plan_types import (
    Acked,
    Action,
    CargoInfo,
    CcaInfo,
    CollectionEnded,
    DeleteCargo,
    DeleteCca,
    DeliveryEnded,
    Finished,
    KeepCca,
    OpenCollection,
    OpenDelivery,
    PlanSettings,
    PlanSummary,
    TooBig,
    WaitForReplies,
)
from courier.sync.planner import GatewayPlanner

NOW = datetime(2026, 12, 1, tzinfo=UTC)
MB = 1_000_000
REFUSED = {"PERMISSION_DENIED", "INVALID_ARGUMENT", "UNAUTHENTICATED"}
STATUSES = ["OK", "UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED", "INTERNAL",
            "PERMISSION_DENIED", "INVALID_ARGUMENT", "UNAUTHENTICATED", "RESOURCE_EXHAUSTED"]


def cca(ref: str, sender: str, created_min: int = -60, ttl_min: int = 600) -> CcaInfo:
    """Return a CCA created `created_min` minutes from NOW."""
    created = NOW + timedelta(minutes=created_min)
    return CcaInfo(ref, sender, created, created + timedelta(minutes=ttl_min))


@dataclass
class Link:
    """A gateway behind a link of `rate` bytes/s that cuts every call at `cut` seconds."""

    rate: float
    cut: float = 5.0
    cold: bool = False
    collect_status: str = "OK"
    log: list[Action] = field(default_factory=list)

    def run(self, planner: GatewayPlanner, limit: int = 10_000) -> PlanSummary:
        """Drive the planner to its end like the adapter does."""
        pending = planner.start(NOW)
        for _ in range(limit):
            action = pending.pop(0)
            self.log.append(action)
            if isinstance(action, Finished):
                return action.summary
            if isinstance(action, OpenDelivery):
                pending += self._deliver(planner, action)
            elif isinstance(action, OpenCollection):
                pending += planner.feed(CollectionEnded(self.collect_status), NOW)
        raise AssertionError("the plan did not end")

    def _deliver(self, planner: GatewayPlanner, call: OpenDelivery) -> list[Action]:
        if self.cold:
            self.cold = False
            return planner.feed(DeliveryEnded("UNAVAILABLE", 0.1), NOW)
        actions: list[Action] = []
        elapsed = 0.05
        for ref in call.refs:
            elapsed += SIZES[ref] / self.rate
            if elapsed > self.cut:
                return actions + planner.feed(DeliveryEnded("UNAVAILABLE", self.cut), NOW)
            actions += planner.feed(Acked(ref, elapsed), NOW)
        return actions + planner.feed(DeliveryEnded("OK", elapsed), NOW)


SIZES: dict[str, int] = {}


def _stock(sizes: list[int]) -> list[CargoInfo]:
    SIZES.clear()
    cargo = [CargoInfo(f"c{i}", size) for i, size in enumerate(sizes)]
    SIZES.update({c.ref: c.size for c in cargo})
    return cargo


def test_60_mib_at_2_mbps_goes_in_calls_under_the_cut_and_the_big_one_alone() -> None:
    cargo = _stock([1_048_576] * 51 + [8_400_000])
    link = Link(rate=2 * MB, cold=True)
    summary = link.run(GatewayPlanner(cargo, [cca("a1", "A"), cca("a2", "A", -30),
                                              cca("b1", "B")]))
    assert summary.delivered == 52 and summary.left == 0 and not summary.too_big
    calls = [a for a in link.log if isinstance(a, OpenDelivery)]
    assert calls[0] == calls[1]  # the cold start's UNAVAILABLE is retried once
    assert max(sum(SIZES[r] for r in c.refs) for c in calls[2:]) <= 2 * MB * 4.2
    assert (OpenDelivery(("c51",)),) == tuple(c for c in calls if "c51" in c.refs)[-1:]
    assert [a.ref for a in link.log if isinstance(a, OpenCollection)] == ["a1", "b1"]
    # The other CCA of gateway A waits for the next visit (same replies until then).
    assert KeepCca("a2", Retry(0, NOW + timedelta(hours=1))) in link.log
    assert WaitForReplies() in link.log


def test_at_1_mbps_the_big_cargo_is_reported_too_big_and_kept() -> None:
    cargo = _stock([8_400_000, 500_000, 500_000])
    link = Link(rate=1 * MB)
    summary = link.run(GatewayPlanner(cargo, []))
    assert summary.too_big == [8_400_000] and summary.delivered == 2 and summary.left == 0
    assert DeleteCargo("c0") not in link.log and TooBig("c0", 8_400_000) in link.log


def test_a_dead_gateway_ends_the_plan_and_collection_still_runs() -> None:
    cargo = _stock([1000, 2000])
    link = Link(rate=0.001, cut=3.0, collect_status="UNAVAILABLE")
    summary = link.run(GatewayPlanner(cargo, [cca("a1", "A")]))
    assert summary.delivered == 0 and summary.left == 2 and summary.stopped
    assert not summary.too_big  # nothing proved the link moves bytes at all
    assert isinstance(link.log[-2], KeepCca) and link.log[-2].ref == "a1"


def test_refused_cca_lets_the_next_one_of_that_gateway_be_tried() -> None:
    link = Link(rate=MB, collect_status="PERMISSION_DENIED")
    link.run(GatewayPlanner([], [cca("a1", "A"), cca("a2", "A", -10)]))
    assert [a for a in link.log if isinstance(a, DeleteCca)] == [
        DeleteCca("a1", "PERMISSION_DENIED"), DeleteCca("a2", "PERMISSION_DENIED")]


def test_ccas_not_yet_valid_or_expired_are_never_presented() -> None:
    link = Link(rate=MB)
    link.run(GatewayPlanner([], [cca("future", "A", +10), cca("old", "B", -600, 60),
                                 cca("good", "B", -5)]))
    assert [a.ref for a in link.log if isinstance(a, OpenCollection)] == ["good"]


@dataclass
class Random:
    """A gateway whose every outcome hypothesis chooses."""

    data: st.DataObject
    log: list[tuple[Action, datetime]] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)
    outcomes: list[tuple[OpenCollection, str]] = field(default_factory=list)
    cut_unacked: set[str] = field(default_factory=set)

    def run(self, planner: GatewayPlanner) -> PlanSummary:
        """Drive the planner with random outcomes and a clock that moves forward."""
        now = NOW
        pending = planner.start(now)
        for _ in range(5000):
            action = pending.pop(0)
            self.log.append((action, now))
            if isinstance(action, Finished):
                return action.summary
            if isinstance(action, OpenDelivery | OpenCollection):
                now += timedelta(minutes=self.data.draw(st.integers(0, 30)))  # calls take time
            if isinstance(action, OpenDelivery):
                pending += self._deliver(planner, action, now)
            elif isinstance(action, OpenCollection):
                status = self.data.draw(st.sampled_from(STATUSES))
                self.outcomes.append((action, status))
                pending += planner.feed(CollectionEnded(status), now)
        raise AssertionError("the plan did not end")

    def _deliver(self, planner: GatewayPlanner, call: OpenDelivery,
                 now: datetime) -> list[Action]:
        refs = list(call.refs)
        acks = self.data.draw(st.lists(st.sampled_from([*refs, "stranger"]), max_size=len(refs) + 2)
                         if refs else st.just([]))
        actions: list[Action] = []
        for i, ref in enumerate(acks):
            self.acked.add(ref)
            actions += planner.feed(Acked(ref, 0.1 * (i + 1)), now)
        unacked = set(refs) - set(acks)
        status = "OK" if not unacked else self.data.draw(st.sampled_from(STATUSES))
        self.cut_unacked |= unacked
        elapsed = self.data.draw(st.floats(0, 10))
        return actions + planner.feed(DeliveryEnded(status, elapsed), now)


@settings(max_examples=300, deadline=None)
@given(st.data(), st.lists(st.integers(1, 9_000_000), max_size=12),
       st.lists(st.tuples(st.sampled_from("ABC"), st.integers(-120, 60), st.integers(1, 300)),
                max_size=6))
def test_invariants_hold_whatever_the_gateway_does(
    data: st.DataObject, sizes: list[int], specs: list[tuple[str, int, int]],
) -> None:
    cargo = _stock(sizes)
    ccas = [cca(f"k{i}", s, created, ttl) for i, (s, created, ttl) in enumerate(specs)]
    gateway = Random(data)
    summary = gateway.run(GatewayPlanner(cargo, ccas))  # the plan always ends
    actions = [a for a, _ in gateway.log]
    deleted = [a.ref for a in actions if isinstance(a, DeleteCargo)]
    assert set(deleted) <= gateway.acked and len(deleted) == len(set(deleted))
    # Every cargo of a cut call is retried later, reported too big, or delivery stopped.
    too_big = {a.ref for a in actions if isinstance(a, TooBig)}
    for ref in gateway.cut_unacked - set(deleted):
        last_call = max(i for i, a in enumerate(actions)
                        if isinstance(a, OpenDelivery) and ref in a.refs)
        retried = any(isinstance(a, OpenDelivery) and ref in a.refs
                      for a in actions[last_call + 1:])
        assert retried or ref in too_big or summary.stopped or ref in deleted
    assert summary.delivered + summary.left + len(too_big) == len(cargo)
    # Each CCA presented at most once, only while valid, and at most one used per sender.
    by_ref = {c.ref: c for c in ccas}
    presented = [(a.ref, at) for a, at in gateway.log if isinstance(a, OpenCollection)]
    assert len({r for r, _ in presented}) == len(presented)
    for ref, at in presented:
        assert by_ref[ref].created <= at < by_ref[ref].expiry
    # One CCA per private gateway: after one that worked (or may have), none of its others.
    ended = {a.ref: s for a, s in gateway.outcomes}
    used = [by_ref[r].sender_id for r, _ in presented if ended[r] not in REFUSED]
    assert len(used) == len(set(used))


def test_a_cold_start_is_retried_once_and_is_not_a_stall() -> None:
    cargo = _stock([1000, 2000])
    link = Link(rate=MB, cold=True)
    summary = link.run(GatewayPlanner(cargo, [], PlanSettings(max_stalls=1)))
    assert (summary.delivered, summary.cuts, summary.stopped) == (2, 0, None)
    twice = Link(rate=0.001, cut=1.0, cold=True)  # then a dead link: the retry was only once
    assert twice.run(GatewayPlanner(_stock([1000]), [], PlanSettings(max_stalls=1))).stopped
