"""`courier sync-internet` against the production-mode double: 5 s calls, cold start, slow link."""

import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pytest

from courier.protocol import parse_message
from courier.store import Direction, FileStore, Kind, ObjectMeta
from tests.cogrpc.conftest import NEAR_LIMIT_PAYLOAD, World, node
from tests.conftest import REPO, node_available
from tests.internet.conftest import Double, StartDouble, status, sync

pytestmark = pytest.mark.interop
ADDRESS = "gateway.example"
MIB = 1 << 20


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Two private gateways, each with an 8.4 MB cargo, 27 of 1 MiB and two CCAs."""
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    folder = tmp_path_factory.mktemp("world-production")
    spec = {"gateways": 2, "outbound": [NEAR_LIMIT_PAYLOAD] + [MIB] * 27,
            "inbound": [1500] * 3, "ccas": 2}
    manifest = node("make-world", str(folder), json.dumps(spec), timeout=600)
    manifest["dir"] = str(folder)
    return manifest


def _paths(world: World, gateway: int, key: Literal["outbound", "ccas"]) -> list[Path]:
    entry = world["gateways"][gateway]
    return [Path(str(world["dir"])) / name for name in entry[key]]


def _stock(data: Path, files: list[Path]) -> dict[str, Path]:
    """Store these cargo and CCAs as a hotspot session would; return the cargo by SHA-256."""
    store = FileStore.open(data)
    cargo = {}
    try:
        for path in files:
            raw = path.read_bytes()
            store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_INTERNET), raw)
            if path.suffix == ".cargo":
                cargo[hashlib.sha256(raw).hexdigest()] = path
    finally:
        store.close()
    return cargo


def _still_stored(data: Path) -> set[str]:
    """Return the SHA-256 of every cargo still stored for the Internet gateway."""
    store = FileStore.open(data)
    try:
        held = store.select_for_address(ADDRESS, datetime.now(UTC), Kind.CARGO)
        return {hashlib.sha256(store.get(item.ref)).hexdigest() for item in held}
    finally:
        store.close()


def _acked(double: Double) -> list[str]:
    return [str(e["sha256"]) for e in double.events() if e["call"] == "deliver"]


def _args(double: Double) -> list[str]:
    return ["--gateway", f"{ADDRESS}=127.0.0.1:{double.port}", "--ca-file", str(double.ca)]


def _sync_until_done(data: Path, double: Double, cargo: dict[str, Path]) -> list[str]:
    """Press "sync" at most 3 times; after each, every cargo is stored or acked, intact."""
    outputs = []
    for _ in range(3):
        result = sync(data, *_args(double), timeout=300)
        outputs.append(result.stdout + result.stderr)
        stored, acked = _still_stored(data), set(_acked(double))
        # Never deleted before the double acked it: what left the store reached it, intact.
        assert stored | acked == set(cargo), result.stdout + result.stderr
        assert acked <= set(cargo)
        if not stored:
            assert result.returncode == 0, result.stdout + result.stderr
            return outputs
    pytest.fail("cargo left after 3 syncs:\n" + "\n".join(outputs))


def _check_collections(data: Path, double: Double, world: World) -> None:
    """Each private gateway's replies were collected once; one CCA each is left."""
    collects = [e for e in double.events() if e["call"] == "collect"]
    senders = sorted(str(e["senderId"]) for e in collects)
    assert senders == sorted(str(g["id"]) for g in world["gateways"])
    counts = status(data)
    assert (counts["ccas"], counts["cargo_to_private"]) == (2, 6)


def _run(data: Path, double: Double, world: World, files: list[Path]) -> None:
    cargo = _stock(data, files)
    outputs = _sync_until_done(data, double, cargo)
    assert sorted(_acked(double)) == sorted(cargo)  # each delivered once, byte for byte
    assert next(e["call"] for e in double.events()) == "cold"  # the cold start was retried
    _check_collections(data, double, world)
    assert "FAILED" not in outputs[-1]


@pytest.mark.timeout(300)
def test_production_gateway_at_2_mib_per_s_gets_12_mib_with_an_8_4_mb_cargo(
    tmp_path: Path, world: World, start_double: StartDouble,
) -> None:
    double = start_double("normal", production=True, rate=2 * MIB)
    files = (_paths(world, 0, "outbound")[:3] + _paths(world, 1, "outbound")[1:3]
             + _paths(world, 0, "ccas") + _paths(world, 1, "ccas"))
    _run(tmp_path / "data", double, world, files)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_production_gateway_at_2_mib_per_s_gets_60_mib_within_three_syncs(
    tmp_path: Path, world: World, start_double: StartDouble,
) -> None:
    double = start_double("normal", production=True, rate=2 * MIB)
    files = (_paths(world, 0, "outbound") + _paths(world, 1, "outbound")[1:]
             + _paths(world, 0, "ccas") + _paths(world, 1, "ccas"))
    assert sum(f.stat().st_size for f in files) > 60 * MIB
    _run(tmp_path / "data", double, world, files)


@pytest.mark.timeout(300)
def test_at_1_mb_per_s_the_8_4_mb_cargo_is_reported_too_big_and_kept(
    tmp_path: Path, world: World, start_double: StartDouble,
) -> None:
    data = tmp_path / "data"
    double = start_double("normal", production=True, rate=1_000_000)
    big, *small = _paths(world, 0, "outbound")[:4]
    cargo = _stock(data, [big, *small, *_paths(world, 0, "ccas")])
    result = sync(data, *_args(double), timeout=240)
    assert result.returncode == 1
    assert "uplink too slow for 1 cargo of 8.4 MB" in result.stdout, result.stdout
    shown = subprocess.run([sys.executable, "-m", "courier", "status", "--config", "/nonexistent",
                            "--data-dir", str(data)], cwd=REPO, capture_output=True, text=True,
                           check=True, timeout=60).stdout
    assert "uplink too slow for 1 cargo of 8.4 MB: kept for a faster uplink" in shown, shown
    big_sha = next(sha for sha, path in cargo.items() if path == big)
    assert _still_stored(data) == {big_sha}
    assert sorted(_acked(double)) == sorted(set(cargo) - {big_sha})
    assert [str(e["senderId"]) for e in double.events() if e["call"] == "collect"] == [
        world["gateways"][0]["id"]]


@pytest.mark.timeout(300)
def test_calls_cut_mid_stream_keep_what_was_acked_and_the_rest_stays_stored(
    tmp_path: Path, world: World, start_double: StartDouble,
) -> None:
    data = tmp_path / "data"
    # Calls planned for 6 s on a gateway that cuts them at 2 s: cuts after some acks, surely.
    double = start_double("normal", production=True, rate=1_000_000, cutSeconds=2)
    cargo = _stock(data, _paths(world, 1, "outbound")[1:7] + _paths(world, 1, "ccas"))
    result = sync(data, *_args(double), "--call-budget", "6", timeout=240)
    assert "Traceback" not in result.stderr, result.stderr
    assert any(e["call"] == "cut" for e in double.events())
    stored, acked = _still_stored(data), set(_acked(double))
    assert stored | acked == set(cargo)
    assert not stored & acked  # every cargo acked before a cut was deleted
    assert acked  # and the sync made progress between cuts
    assert [e["call"] for e in double.events()].count("collect") == 1  # collection still ran
