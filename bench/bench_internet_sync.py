"""Internet sync against the official-library double: throughput beside the official JS client, RSS.

Throughput: ONE long-lived Node process runs the official client (@relaycorp/cogrpc) and makes
the same sequence of DeliverCargo calls our planner made in the round before it; rounds are
interleaved (order alternating) and repeated, with and without the double's production mode
(every call cut at 5 s). Peak RSS: `courier sync-internet` of a big store, beside the same
command with nothing to sync.
"""

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, cast
from unittest import mock

import grpc

import courier.app.gateway_sync as gateway_sync
from bench.common import Figure, stop_process
from courier.app.internet_sync import SyncOptions, run_sync
from courier.cogrpc import client as cogrpc_client
from courier.protocol import parse_message
from courier.store import Direction, FileStore, ObjectMeta
from tests.internet.conftest import make_self_signed

REPO = Path(__file__).resolve().parent.parent
JS = REPO / "tests" / "js"
DRIVER = JS / "private-gateway" / "driver.mjs"
DOUBLE = JS / "internet-gateway" / "double.mjs"
CLIENT = JS / "internet-gateway" / "client.mjs"
ADDRESS = "gateway.example"
BIG_PAYLOAD = 8 * 1024 * 1024 - 1024
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
RSS_WRAPPER = ("import re, sys; from pathlib import Path; from courier.cli import main; "
               "code = main(sys.argv[1:]); status = Path('/proc/self/status').read_text(); "
               "print(re.search(r'VmHWM:\\s+(\\d+)', status).group(1), file=sys.stderr); "
               "sys.exit(code)")
CALLS: list[int] = []  # cargo per DeliverCargo call of our last sync


def _world(folder: Path, sizes: list[int]) -> list[Path]:
    spec = {"gateways": 1, "outbound": sizes}
    subprocess.run(["node", str(DRIVER), "make-world", str(folder), json.dumps(spec)],
                   cwd=JS, check=True, capture_output=True, timeout=1800)
    return sorted(folder.glob("out-*.cargo"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def _double(work: Path, world: Path, tls: tuple[Path, Path, Path],
            **options: object) -> "tuple[subprocess.Popen[str], int]":
    config = work / f"double-{time.monotonic_ns()}.json"
    config.write_text(json.dumps({"world": str(world), "key": str(tls[1]), "cert": str(tls[2]),
                                  "mode": "normal", "record": str(work / "record.jsonl"),
                                  **options}))
    process = subprocess.Popen(["node", str(DOUBLE), str(config)], cwd=JS,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline().split()[1])


def _stock(data: Path, files: list[Path]) -> FileStore:
    store = FileStore.open(data, quota_bytes=1 << 40, per_sender_fraction=1.0)
    for path in files:
        raw = path.read_bytes()
        store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_INTERNET), raw)
    return store


def _record_calls() -> None:
    """Count the cargo of each call our sync makes (the sequence the JS client replays)."""
    real = cogrpc_client.deliver  # the function gateway_sync imported

    async def recording(channel: grpc.aio.Channel, items: Sequence[tuple[str, int]],
                        load: Callable[[str], Awaitable[bytes]],
                        **kwargs: Any) -> tuple[str, float]:
        CALLS.append(len(items))
        return await real(channel, items, load, **kwargs)
    # gateway_sync calls the name it imported: patch it there, for the rest of the run.
    mock.patch.object(gateway_sync, "deliver", recording).start()


def _ours(work: Path, files: list[Path], port: int, ca: bytes, label: str) -> float:
    store = _stock(work / f"data-{label}", files)
    CALLS.clear()
    try:
        options = SyncOptions(overrides={ADDRESS: f"127.0.0.1:{port}"}, ca_pem=ca, reply_wait=0)
        start = time.perf_counter()
        report = asyncio.run(run_sync(store, work / f"state-{label}", options,
                                      lambda: datetime.now(UTC)))
        elapsed = time.perf_counter() - start
        assert report.gateways[0].delivered == len(files), report
    finally:
        store.close()
    return sum(f.stat().st_size for f in files) / 1e6 / elapsed


class Answer(TypedDict, total=False):
    """One answer of tests/js/internet-gateway/client.mjs (`acked` for `deliver` only)."""

    acked: list[str]
    error: str


def _ask(client: "subprocess.Popen[str]", command: dict[str, object]) -> Answer:
    assert client.stdin is not None
    assert client.stdout is not None
    client.stdin.write(json.dumps(command) + "\n")
    client.stdin.flush()
    return cast("Answer", json.loads(client.stdout.readline()))  # the shape client.mjs prints


def _theirs(client: "subprocess.Popen[str]", files: list[Path], port: int,
            calls: list[int]) -> float:
    """Replay our calls with the official client; a cut call's rest goes in the next one."""
    start = time.perf_counter()
    _ask(client, {"open": f"127.0.0.1:{port}"})
    queue = [str(f) for f in files]
    for count in [*calls, *[1] * len(files)]:  # more calls only if cuts left cargo behind
        if not queue:
            break
        batch = queue[:count]
        acked = set(_ask(client, {"deliver": batch}).get("acked", []))
        queue = [f for f in batch if f not in acked] + queue[count:]
    _ask(client, {"close": True})
    elapsed = time.perf_counter() - start
    assert not queue, f"{len(queue)} cargo not acked"
    return sum(f.stat().st_size for f in files) / 1e6 / elapsed


def _throughput(work: Path, files: list[Path], tls: tuple[Path, Path, Path], rounds: int,
                production: bool) -> Figure:
    double, port = _double(work, work / "world", tls, production=production, idleSeconds=3600)
    client = subprocess.Popen(["node", str(CLIENT)], cwd=JS, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    ours: list[float] = []
    theirs: list[float] = []
    try:
        _ask(client, {"open": f"127.0.0.1:{port}"})
        _ask(client, {"deliver": []})  # the cold start, outside the rounds
        _ask(client, {"close": True})
        for n in range(rounds):
            label = f"{int(production)}-{n}"
            if n % 2:  # alternate who goes first; JS replays our previous sequence
                theirs.append(_theirs(client, files, port, list(CALLS)))
                ours.append(_ours(work, files, port, tls[0].read_bytes(), label))
            else:
                ours.append(_ours(work, files, port, tls[0].read_bytes(), label))
                theirs.append(_theirs(client, files, port, list(CALLS)))
    finally:
        assert client.stdin is not None
        client.stdin.close()
        client.wait(timeout=20)
        if client.stdout is not None:
            client.stdout.close()
        stop_process(double)
    mode = "production (5 s cuts)" if production else "no call limit"
    return Figure(f"Internet sync {len(files)} x 1 MiB, {mode}", statistics.median(ours),
                  "MB/s", statistics.median(theirs),
                  f">= JS client, same calls (ours {min(ours):.0f}-{max(ours):.0f}, "
                  f"JS {min(theirs):.0f}-{max(theirs):.0f}, {rounds} rounds)")


def _peak_rss(work: Path, files: list[Path], tls: tuple[Path, Path, Path]) -> Figure:
    """Peak RSS of `courier sync-internet` moving `files` (MB), and of one with nothing."""
    double, port = _double(work, work / "big-world", tls)
    try:
        peaks = []
        for label, stocked in (("empty", []), ("full", files)):
            _stock(work / f"rss-{label}", stocked).close()
            result = subprocess.run(
                [sys.executable, "-c", RSS_WRAPPER, "--log-level", "WARNING", "sync-internet",
                 "--config", "/nonexistent", "--data-dir", str(work / f"rss-{label}"),
                 "--reply-wait", "0", "--gateway", f"{ADDRESS}=127.0.0.1:{port}", "--ca-file",
                 str(tls[0])], cwd=REPO, capture_output=True, text=True, timeout=3600, check=False)
            assert result.returncode == 0, result.stdout + result.stderr
            peaks.append(int(result.stderr.strip().splitlines()[-1]) / 1024)
    finally:
        stop_process(double)
    total = sum(f.stat().st_size for f in files) / 1e9
    return Figure(f"peak RSS, sync of {total:.2f} GB for one address", peaks[1], "MB", peaks[0],
                  "< 150 MB (baseline: the same command with nothing to sync)")


def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    count, rounds, big = (16, 2, 16) if quick else (100, 5, 244)
    _record_calls()
    with tempfile.TemporaryDirectory(dir=REPO) as folder:
        work = Path(folder)
        files = _world(work / "world", [1024 * 1024] * count)
        tls = make_self_signed(work)  # one certificate both clients can pin
        figures = [_throughput(work, files, tls, rounds, production)
                   for production in (False, True)]
        big_files = _world(work / "big-world", [BIG_PAYLOAD] * big)
        figures.append(_peak_rss(work, big_files, tls))
    return figures
