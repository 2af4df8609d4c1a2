"""A phone's CollectCargo time to first cargo while the same daemon runs an Internet sync.

`courier run` (simulated board) holds cargo for a private gateway and Internet-bound cargo for
the official-library double; a press starts the Internet sync, and a client collects over and
over meanwhile. Baseline: the same collection with the daemon idle, in the same run.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_cogrpc import _time_to_first
from bench.bench_internet_sync import ADDRESS, _double, _stock, _world
from bench.common import Figure, free_port, stop_process
from courier.protocol import MessageType, Recipient, parse_message
from courier.store import Direction, FileStore, ObjectMeta
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message
from tests.internet.conftest import make_tls

REPO = Path(__file__).resolve().parent.parent


def _phone(data: Path, count: int) -> bytes:
    """Store `count` small cargo for a private gateway; return a CCA it would present."""
    key = generate_rsa_key()
    certificate = issue_certificate(key, is_ca=True)
    store = FileStore.open(data, quota_bytes=1 << 40, per_sender_fraction=1.0)
    try:
        for _ in range(count):
            cargo = serialize_message(MessageType.CARGO, Recipient(certificate.node_id, None),
                                      os.urandom(2048), sender_key=key,
                                      sender_certificate=certificate, ttl=86400)
            store.put(ObjectMeta.from_message(parse_message(cargo), Direction.TO_PRIVATE), cargo)
    finally:
        store.close()
    return serialize_message(MessageType.CCA, Recipient("0" + "cd" * 32, "gateway.example"),
                             b"request", sender_key=key, sender_certificate=certificate,
                             ttl=86400, creation_date=datetime.now(UTC) - timedelta(minutes=5))


def _samples(host: str, cert: bytes, cca: bytes, seconds: float) -> list[float]:
    deadline = time.monotonic() + seconds
    found = []
    while time.monotonic() < deadline:
        found.append(_time_to_first(host, cert, cca))
    return found


def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    count = 60 if quick else 300
    with tempfile.TemporaryDirectory(dir=REPO) as folder:
        work = Path(folder)
        files = _world(work / "world", [1024 * 1024] * count)
        tls = make_tls(work)
        data = work / "data"
        _stock(data, files).close()
        cca = _phone(data, 20)
        double, gateway_port = _double(work, work / "world", tls)
        port = free_port()
        log = work / "courier.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1",
               "COURIER_INTERNET__GATEWAYS": f'{{"{ADDRESS}" = "127.0.0.1:{gateway_port}"}}',
               "COURIER_INTERNET__CA_FILE": f'"{tls[0]}"',
               "COURIER_INTERNET__REPLY_WAIT_SECONDS": "0"}
        with log.open("wb") as out:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "courier", "run", "--config", "/nonexistent",
                 "--data-dir", str(data), "--hardware", "sim", "--no-network", "--sim-keyboard",
                 "--listen", f"127.0.0.1:{port}", "--tls-address", "127.0.0.1"],
                cwd=REPO, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            while "uplink: UplinkUp" not in log.read_text(errors="replace"):
                if daemon.poll() is not None:
                    raise RuntimeError(log.read_text())
                time.sleep(0.05)
            host, cert = f"127.0.0.1:{port}", (data / "keys" / "tls.crt").read_bytes()
            idle = _samples(host, cert, cca, 2.0)
            assert daemon.stdin is not None
            daemon.stdin.write(b"\n")  # a press: the Internet sync starts
            daemon.stdin.flush()
            while "-> internet_sync" not in log.read_text(errors="replace"):
                time.sleep(0.01)
            busy = []
            while "internet_sync ->" not in log.read_text(errors="replace"):
                busy.append(_time_to_first(host, cert, cca))
        finally:
            if daemon.stdin is not None:
                daemon.stdin.close()
            stop_process(daemon)
            stop_process(double)
            if double.stdout is not None:
                double.stdout.close()
    return [Figure(f"CollectCargo first cargo during a sync of {count} x 1 MiB, median",
                   statistics.median(busy), "ms", statistics.median(idle),
                   f"< 50 ms (baseline: daemon idle; {len(busy)} samples)"),
            Figure("CollectCargo first cargo during that sync, worst", max(busy), "ms",
                   max(idle), "< 50 ms (baseline: worst while idle)")]
