"""Internet sync rate to the official-library gateway double, against the official JS client."""

import asyncio
import json
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Figure
from courier.app.internet_sync import SyncOptions, run_sync
from courier.protocol import parse_message
from courier.store import Direction, FileStore, ObjectMeta
from tests.internet.conftest import make_self_signed

REPO = Path(__file__).resolve().parent.parent
JS = REPO / "tests" / "js"
DRIVER = JS / "private-gateway" / "driver.mjs"
DOUBLE = JS / "internet-gateway" / "double.mjs"
JS_BATCH = 8  # the JS client gives a whole call 3 s: it cannot send 100 MiB in one call


def _double(
    work: Path, world: Path, tls: tuple[Path, Path, Path],
) -> "tuple[subprocess.Popen[str], int]":
    config = work / f"double-{time.monotonic_ns()}.json"
    config.write_text(json.dumps({"world": str(world), "key": str(tls[1]), "cert": str(tls[2]),
                                  "mode": "normal", "record": str(work / "record.jsonl")}))
    process = subprocess.Popen(["node", str(DOUBLE), str(config)], cwd=JS,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    return process, int(process.stdout.readline().split()[1])


def _stop(process: "subprocess.Popen[str]") -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
    if process.stdout is not None:
        process.stdout.close()


def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    count = 16 if quick else 100
    with tempfile.TemporaryDirectory(dir=REPO) as folder:
        work = Path(folder)
        world = work / "world"
        spec = {"gateways": 1, "outbound": [1024 * 1024] * count}
        subprocess.run(["node", str(DRIVER), "make-world", str(world), json.dumps(spec)],
                       cwd=JS, check=True, capture_output=True, timeout=600)
        files = sorted(world.glob("out-*.cargo"))
        total = sum(f.stat().st_size for f in files) / 1e6
        tls = make_self_signed(work)  # one certificate both clients can pin
        store = FileStore.open(work / "data", quota_bytes=1 << 40, per_sender_fraction=1.0)
        for path in files:
            raw = path.read_bytes()
            store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_INTERNET), raw)
        double, port = _double(work, world, tls)
        try:
            options = SyncOptions(overrides={"gateway.example": f"127.0.0.1:{port}"},
                                  ca_pem=tls[0].read_bytes(), reply_wait=0)
            start = time.perf_counter()
            report = asyncio.run(run_sync(store, work / "data", options))
            ours = time.perf_counter() - start
            assert report.gateways[0].delivered == count, report
        finally:
            _stop(double)
            store.close()
        double, port = _double(work, world, tls)
        try:
            start = time.perf_counter()
            for i in range(0, len(files), JS_BATCH):
                batch = [str(f) for f in files[i:i + JS_BATCH]]
                out = subprocess.run(["node", str(DRIVER), "deliver", f"127.0.0.1:{port}",
                                      *batch], cwd=JS, capture_output=True, text=True,
                                     timeout=120, check=False).stdout
                answer = json.loads(out.splitlines()[-1])
                assert len(answer.get("acked", [])) == len(batch), answer.get("error")
            theirs = time.perf_counter() - start
        finally:
            _stop(double)
    return [Figure(f"Internet sync, {count} x 1 MiB cargo to the double, TLS loopback",
                   total / ours, "MB/s", total / theirs,
                   f">= official JS client (calls of {JS_BATCH})")]
