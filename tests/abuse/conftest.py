"""The real daemon under attack, a legitimate official client beside it, and what it cost."""

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from courier.protocol import parse_message
from courier.store import Direction, FileStore, ObjectMeta
from tests.cogrpc.conftest import Courier, World, free_port, node
from tests.conftest import JS_DIR, REPO, node_available

SYNC = JS_DIR / "private-gateway" / "sync.mjs"
ATTACK = Path(__file__).with_name("attack.mjs")
SYNCS = 3  # legitimate syncs per attack, one after the other, each by its own gateway
DELIVER_DEADLINE_MS = 5000  # the JVM client's; the JS client sets none on DeliverCargo
RSS_LIMIT_KB = 200 * 1024
# The daemon's settings for the suite: the idle limit short, so the suite stays short.
IDLE_SECONDS = 3.0
SERVER_ENV = {"COURIER_SERVER__DELIVERY_IDLE_SECONDS": str(IDLE_SECONDS)}


def peak_rss_kb(pid: int) -> int:
    """Return the process's peak resident set (VmHWM) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="session")
def legit_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Gateways made by the official library: cargo to deliver and cargo waiting for each."""
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    folder = tmp_path_factory.mktemp("legit")
    manifest = node("make-world", str(folder), json.dumps(
        {"gateways": SYNCS, "outbound": [2048] * 3, "inbound": [1500] * 2}))
    manifest["dir"] = str(folder)
    return manifest


def put_inbound(data_dir: Path, messages: Iterable[bytes]) -> None:
    """Store cargo for private gateways, as an Internet sync would, before the daemon starts."""
    store = FileStore.open(data_dir)
    try:
        for raw in messages:
            store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
    finally:
        store.close()


def start_daemon(data_dir: Path, log: Path) -> Courier:
    """Start `courier run` with a soft fd limit of 1 024 and wait until it serves."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **SERVER_ENV}
    with log.open("wb") as out:
        process = subprocess.Popen(
            # As under systemd without LimitNOFILE: soft limit 1 024, the hard one as it is.
            ["sh", "-c", 'ulimit -Sn 1024 && exec "$@"', "sh", sys.executable, "-m", "courier",
             "run", "--config", "/nonexistent", "--data-dir", str(data_dir), "--hardware",
             "sim", "--no-network", "--listen", f"127.0.0.1:{port}", "--tls-address", "127.0.0.1"],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while "serving CogRPC" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"courier did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return Courier(process, data_dir, f"127.0.0.1:{port}", log)


@dataclass
class Target:
    """The daemon under attack and the legitimate gateways that sync with it."""

    courier: Courier
    world: World
    latencies_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        """Return the daemon's CogRPC port."""
        return int(self.courier.host.rsplit(":", 1)[1])

    def sync(self, gateway: int) -> None:
        """Run one legitimate sync (collect and deliver at once); note what did not work."""
        folder = Path(str(self.world["dir"]))
        entry = self.world["gateways"][gateway]
        files = [str(folder / name) for name in entry["outbound"]]
        result = subprocess.run(
            ["node", str(SYNC), self.courier.host, str(folder / entry["cca"]), entry["id"],
             str(DELIVER_DEADLINE_MS), *files],
            cwd=JS_DIR, capture_output=True, text=True, timeout=60, check=False)
        answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
        self.latencies_ms.append(float(answer["ms"]))
        if "error" in answer:
            self.failures.append(answer["error"])
            return
        collected, delivered = answer["collect"], answer["deliver"]
        if collected["error"] or len(collected["cargo"]) != len(entry["inbound"]):
            self.failures.append(f"collect: {collected}")
        if delivered["error"] or sorted(delivered["acked"]) != sorted(files):
            self.failures.append(f"deliver: {delivered}")

    def sync_all(self) -> None:
        """Run every legitimate gateway's sync, one after the other."""
        for gateway in range(SYNCS):
            self.sync(gateway)

    def report(self, attack: str) -> dict[str, object]:
        """Return (and record, when ABUSE_FIGURES names a file) latency and peak RSS."""
        figures = {"attack": attack, "syncs": len(self.latencies_ms),
                   "median_ms": round(statistics.median(self.latencies_ms)),
                   "worst_ms": round(max(self.latencies_ms)),
                   "peak_rss_mb": round(peak_rss_kb(self.courier.process.pid) / 1024),
                   "failed": len(self.failures)}
        if os.environ.get("ABUSE_FIGURES"):
            with open(os.environ["ABUSE_FIGURES"], "a", encoding="utf-8") as out:
                out.write(json.dumps(figures) + "\n")
        return figures


@pytest.fixture
def launch(tmp_path: Path, legit_world: World) -> Iterator[Callable[..., Target]]:
    """Start a fresh daemon holding each legitimate gateway's cargo (and `extra` cargo)."""
    started: list[Target] = []

    def start(extra: Iterable[bytes] = ()) -> Target:
        folder = Path(str(legit_world["dir"]))
        inbound = [folder / name for entry in legit_world["gateways"]
                   for name in entry["inbound"]]
        put_inbound(tmp_path / "data", (path.read_bytes() for path in inbound))
        put_inbound(tmp_path / "data", extra)
        running = Target(start_daemon(tmp_path / "data", tmp_path / "courier.log"), legit_world)
        started.append(running)
        return running

    yield start
    for running in started:
        courier = running.courier
        assert courier.process.poll() is None, courier.log.read_text()[-3000:]
        assert courier.stop() == 0, courier.log.read_text()[-3000:]


class Attacker:
    """A running attack.mjs: in place once started, outcomes read when stopped."""

    def __init__(self, attack: str, port: int, options: dict[str, object]) -> None:
        self.process = subprocess.Popen(
            ["node", str(ATTACK), attack, str(port), json.dumps(options)], cwd=JS_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"attack {attack} did not start")
        self.ready: object = json.loads(line)["ready"]

    def stop(self) -> dict[str, int]:
        """End the attack; return what the server did to it, by outcome."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        try:
            line = self.process.stdout.readline()
            self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.process.stdout.close()
        outcomes: dict[str, int] = json.loads(line)["outcomes"] if line else {}
        return outcomes


@pytest.fixture
def attacks() -> Iterator[list[Attacker]]:
    """Attackers started by a test; all stopped at its end whatever happened."""
    started: list[Attacker] = []
    yield started
    for attacker in started:
        if attacker.process.poll() is None:
            attacker.stop()


def sources(first: int, count: int) -> list[str]:
    """Return `count` loopback source addresses from 127.0.0.`first` (several clients)."""
    return [f"127.0.0.{first + i}" for i in range(count)]
