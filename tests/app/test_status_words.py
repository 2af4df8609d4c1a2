"""What the problem screen says after an Internet sync that did not finish."""

from datetime import UTC, datetime
from pathlib import Path

from courier.app.internet_sync import GatewayReport
from courier.app.status import StatusWriter
from courier.clock import TrustedClock
from courier.cogrpc.counters import ServerCounters
from courier.panel.present import DeviceStatus

FIRST = DeviceStatus("courier", datetime(2026, 12, 4, tzinfo=UTC), True, "network")


def writer(tmp_path: Path) -> StatusWriter:
    """Return a status writer with nothing behind it."""
    return StatusWriter(FIRST, ServerCounters(), TrustedClock(tmp_path), lambda: None, lambda: 0)


def test_a_sync_kept_back_only_by_a_slow_uplink_says_so(tmp_path: Path) -> None:
    status = writer(tmp_path)
    status.sync_finished([GatewayReport("gw.example", delivered=3, too_big=[8_400_000])])
    assert status.status.problem_detail == "uplink too slow for 1 cargo of 8.4 MB"
    status.sync_finished([GatewayReport("gw.example", too_big=[8_400_000, 6_000_000])])
    assert status.status.problem_detail == "uplink too slow for 2 cargo, largest 8.4 MB"


def test_a_gateway_that_failed_is_named_with_how_many_more(tmp_path: Path) -> None:
    status = writer(tmp_path)
    status.sync_finished([GatewayReport("a.example", error="unreachable", too_big=[9_000_000]),
                          GatewayReport("b.example", delivered=1),
                          GatewayReport("c.example", undelivered=2)])
    assert status.status.problem_detail == "could not sync a.example (+1 more)"
    status.sync_finished([GatewayReport("b.example", delivered=1)])
    assert status.status.problem_detail == ""
