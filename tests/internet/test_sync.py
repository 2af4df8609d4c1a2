"""`courier sync-internet` against the Internet-gateway double built on the official libraries."""

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cogrpc.conftest import World
from tests.internet.conftest import Double, status, stock, sync

pytestmark = pytest.mark.interop
ADDRESS = "gateway.example"


def _gateway(double: Double) -> list[str]:
    return ["--gateway", f"{ADDRESS}=127.0.0.1:{double.port}", "--ca-file", str(double.ca)]


def test_delivers_every_byte_then_collects_and_stores_replies(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    files = stock(data, world, [0, 1])
    double = start_double("normal")
    result = sync(data, *_gateway(double))
    assert result.returncode == 0, result.stdout + result.stderr
    delivered = [e for e in double.events() if e["call"] == "deliver"]
    assert sorted(e["sha256"] for e in delivered) == sorted(
        hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files["cargo"])
    assert all(e["valid"] for e in delivered)
    collections = [e for e in double.events() if e["call"] == "collect"]
    assert len(collections) == 2
    counts = status(data)
    inbound = sum(len(world["gateways"][i]["inbound"]) for i in (0, 1))
    assert counts == {**counts, "cargo_to_internet": 0, "ccas": 0, "cargo_to_private": inbound}
    assert f"{ADDRESS}: delivered 6, collected {inbound}" in result.stdout


def test_reused_cca_is_refused_and_dropped(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    double = start_double("normal")
    first, second = tmp_path / "one", tmp_path / "two"
    stock(first, world, [2])
    stock(second, world, [2])  # another courier holding the same CCA
    assert sync(first, *_gateway(double)).returncode == 0
    result = sync(second, *_gateway(double))
    assert "dropped 1" in result.stdout
    assert any(e.get("code") == 7 for e in double.events())  # PERMISSION_DENIED
    assert status(second)["ccas"] == 0


def test_an_unavailable_gateway_keeps_everything(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    stock(data, world, [0])
    double = start_double("unavailable")
    result = sync(data, *_gateway(double))
    assert result.returncode == 1
    assert "FAILED" in result.stdout
    counts = status(data)
    assert counts["cargo_to_internet"] == 3
    assert counts["ccas"] == 1


def test_collection_runs_even_when_delivery_gets_no_acks(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    stock(data, world, [0])
    double = start_double("close-without-acks")
    result = sync(data, *_gateway(double))
    assert result.returncode == 1
    assert "FAILED: delivery stopped: no progress" in result.stdout
    counts = status(data)
    assert counts["cargo_to_internet"] == 3  # nothing acked, nothing deleted
    inbound = len(world["gateways"][0]["inbound"])
    assert (counts["ccas"], counts["cargo_to_private"]) == (0, inbound)


def test_stalled_gateway_hits_the_deadline_and_nothing_is_lost(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    stock(data, world, [0])
    double = start_double("stall")
    result = sync(data, *_gateway(double), "--timeout", "3")
    assert result.returncode == 1
    assert "DEADLINE_EXCEEDED" in result.stdout
    counts = status(data)
    assert (counts["cargo_to_internet"], counts["ccas"]) == (3, 1)


def test_gateway_down_untrusted_tls_and_missing_srv_fail_cleanly(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    stock(data, world, [1])
    double = start_double("normal")
    untrusted = sync(data, "--gateway", f"{ADDRESS}=127.0.0.1:{double.port}")
    down = sync(data, "--gateway", f"{ADDRESS}=127.0.0.1:9", "--ca-file", str(double.ca))
    no_srv = sync(data, "--dns", "127.0.0.1:9")
    for result in (untrusted, down, no_srv):
        assert result.returncode == 1, result.stdout + result.stderr
        assert "FAILED" in result.stdout
    assert "SRV" in no_srv.stdout or "look up" in no_srv.stdout
    counts = status(data)
    assert (counts["cargo_to_internet"], counts["ccas"]) == (3, 1)
    assert not double.events()


def test_acks_for_ids_never_sent_or_repeated_are_ignored(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    files = stock(data, world, [0])
    double = start_double("odd-acks")
    result = sync(data, *_gateway(double))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "delivered 3," in result.stdout
    assert sorted(str(e["sha256"]) for e in double.events() if e["call"] == "deliver") == sorted(
        hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files["cargo"])
    assert status(data)["cargo_to_internet"] == 0
