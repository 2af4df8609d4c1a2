"""SRV ordering (RFC 2782), real SRV lookups through dnsmasq, and the CCA lifecycle table."""

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from courier.errors import SyncError
from courier.net.srv import SrvRecord, Target, order_records, resolve
from courier.sync.internet import (
    FATES,
    MAX_BACKOFF,
    CcaFate,
    Retry,
    after_failure,
    cca_fate,
    is_due,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def test_lower_priority_first_and_weights_share_the_traffic() -> None:
    records = [SrvRecord(20, 0, "backup.example", 443), SrvRecord(10, 60, "a.example", 443),
               SrvRecord(10, 20, "b.example", 443), SrvRecord(10, 20, "c.example", 443)]
    rng = random.Random(7)
    firsts = Counter(order_records(records, rng)[0].target for _ in range(5000))
    assert set(firsts) == {"a.example", "b.example", "c.example"}
    assert 0.55 < firsts["a.example"] / 5000 < 0.65
    for _ in range(50):
        assert order_records(records, rng)[-1].target == "backup.example"


def test_zero_weights_still_give_every_record() -> None:
    records = [SrvRecord(1, 0, f"{n}.example", 1) for n in "xyz"]
    assert sorted(r.target for r in order_records(records, random.Random(1))) == [
        "x.example", "y.example", "z.example"]


def test_override_names_the_awala_address_for_tls() -> None:
    assert resolve("gw.example", {"gw.example": "127.0.0.1:4433"}) == [
        Target("127.0.0.1", 4433, "gw.example")]


def test_srv_records_are_resolved_and_a_missing_one_is_a_clear_error(dns_server: int) -> None:
    targets = resolve("gw.example", {}, nameserver=("127.0.0.1", dns_server))
    assert targets == [Target("primary.example", 443, "primary.example"),
                       Target("backup.example", 8443, "backup.example")]
    with pytest.raises(SyncError, match=r"no _awala-crc\._tcp SRV record"):
        resolve("missing.example", {}, nameserver=("127.0.0.1", dns_server))


@pytest.mark.parametrize(("status", "fate"), [
    ("OK", CcaFate.DELETE), ("PERMISSION_DENIED", CcaFate.DELETE),
    ("INVALID_ARGUMENT", CcaFate.DELETE), ("UNAUTHENTICATED", CcaFate.DELETE),
    ("UNAVAILABLE", CcaFate.RETRY), ("DEADLINE_EXCEEDED", CcaFate.RETRY),
    ("NETWORK", CcaFate.RETRY), ("SOMETHING_NEW", CcaFate.RETRY)])
def test_cca_lifecycle_table(status: str, fate: CcaFate) -> None:
    assert cca_fate(status) is fate


def test_every_table_entry_is_covered() -> None:
    assert {s for s, f in FATES.items() if f is CcaFate.DELETE} == {
        "OK", "PERMISSION_DENIED", "INVALID_ARGUMENT", "UNAUTHENTICATED"}


def test_backoff_doubles_and_is_capped() -> None:
    retry = None
    delays = []
    for _ in range(12):
        retry = after_failure(retry, NOW)
        delays.append(retry.next_attempt - NOW)
    assert delays[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert delays[-1] == MAX_BACKOFF
    assert not is_due(Retry(1, NOW + timedelta(minutes=1)), NOW)
    assert is_due(Retry(1, NOW), NOW)
    assert is_due(None, NOW)
