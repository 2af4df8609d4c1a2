"""A real `courier run` on loopback, and the official JS private gateway to talk to it."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NotRequired, TypedDict, cast, overload

import pytest

from courier.store import FileStore
from tests.conftest import JS_DIR, REPO, node_available

DRIVER = JS_DIR / "private-gateway" / "driver.mjs"
NEAR_LIMIT_PAYLOAD = 8 * 1024 * 1024 - 1024  # the whole cargo stays under 9 437 184 bytes


def free_port() -> int:
    """Return a TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class WorldGateway(TypedDict):
    """One private gateway of `make-world`: file names are relative to the world's folder."""

    id: str
    cca: str
    ccas: list[str]
    outbound: list[str]
    inbound: list[str]


class World(TypedDict):
    """The answer of `make-world` (the manifest driver.mjs also writes to manifest.json)."""

    internetId: str
    internetAddress: str
    internetCertificate: str
    internetKey: str
    internetSessionKey: str
    gateways: list[WorldGateway]
    dir: NotRequired[str]  # added by the fixtures: the folder the files are in


class Delivered(TypedDict):
    """The answer of `deliver`: the files the courier acknowledged, in order."""

    acked: list[str]


class CollectedCargo(TypedDict):
    """One cargo the official client collected and validated."""

    id: str
    recipientId: str
    size: int
    sha256: str


class Collected(TypedDict):
    """The answer of `collect`."""

    cargo: list[CollectedCargo]
    errors: list[str]


@overload
def node(command: Literal["make-world"], *args: str, timeout: float = 120) -> World: ...
@overload
def node(command: Literal["deliver"], *args: str, timeout: float = 120) -> Delivered: ...
@overload
def node(command: Literal["collect"], *args: str, timeout: float = 120) -> Collected: ...
def node(command: str, *args: str, timeout: float = 120) -> World | Delivered | Collected:
    """Run the official-client driver and return its JSON answer."""
    result = subprocess.run(["node", str(DRIVER), command, *args], cwd=JS_DIR,
                            capture_output=True, text=True, timeout=timeout, check=False)
    lines = result.stdout.strip().splitlines()
    if not lines:
        pytest.fail(f"driver printed nothing: {result.stderr[-2000:]}")
    # The shape of each command's answer is the one driver.mjs prints (the types above).
    return cast("World | Delivered | Collected", json.loads(lines[-1]))


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Keys, certificates, CCAs and cargo made by the official library (3 gateways)."""
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    folder = tmp_path_factory.mktemp("world")
    spec = {"gateways": 3, "outbound": [2048] * 12 + [NEAR_LIMIT_PAYLOAD], "inbound": [1500] * 3}
    manifest = node("make-world", str(folder), json.dumps(spec))
    manifest["dir"] = str(folder)
    return manifest


@dataclass
class Courier:
    """A running `courier run` subprocess."""

    process: "subprocess.Popen[bytes]"
    data_dir: Path
    host: str
    log: Path

    def status(self) -> dict[str, int]:
        """Return `courier status --json`."""
        out = subprocess.run([sys.executable, "-m", "courier", "status", "--data-dir",
                              str(self.data_dir), "--json", "--config", "/nonexistent"],
                             cwd=REPO, capture_output=True, text=True, check=True, timeout=30)
        counts: dict[str, int] = json.loads(out.stdout)
        return counts

    @contextlib.contextmanager
    def offline(self) -> Iterator[FileStore]:
        """Stop the daemon, lend its store (it has one owner at a time), then restart it."""
        assert self.stop() == 0, self.log.read_text()[-3000:]
        store = FileStore.open(self.data_dir)
        try:
            yield store
        finally:
            store.close()
            port = int(self.host.rsplit(":", 1)[1])
            self.process = start_courier(self.data_dir, self.log, port).process

    def stop(self) -> int:
        """SIGTERM and wait; return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_courier(data_dir: Path, log: Path, port: int | None = None) -> Courier:
    """Start `courier run` on a loopback port (a free one by default) and wait until it serves."""
    port = port or free_port()
    # These tests play many gateways from one address (127.0.0.1): the per-client cap is
    # lifted. The idle limit is too, so that only the unanswered-delivery grace can end a
    # waiting call here. tests/abuse checks both limits.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COURIER_SERVER__MAX_CALLS_PER_CLIENT": "32",
           "COURIER_SERVER__DELIVERY_IDLE_SECONDS": "600"}
    started = log.read_text(errors="replace").count("serving CogRPC") if log.exists() else 0
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "courier", "run", "--config", "/nonexistent", "--data-dir",
             str(data_dir), "--hardware", "sim", "--no-network", "--listen",
             f"127.0.0.1:{port}", "--tls-address", "127.0.0.1"],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 30
    while log.read_text(errors="replace").count("serving CogRPC") <= started:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail(f"courier did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)
    return Courier(process, data_dir, f"127.0.0.1:{port}", log)


@pytest.fixture
def courier(tmp_path: Path) -> Iterator[Courier]:
    """A fresh courier with its own data directory."""
    running = start_courier(tmp_path / "data", tmp_path / "courier.log")
    yield running
    assert running.stop() == 0, running.log.read_text()[-3000:]
