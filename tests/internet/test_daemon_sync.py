"""A press of the button in the running daemon syncs with the Internet on the daemon's own store."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cogrpc.conftest import World, free_port
from tests.conftest import REPO
from tests.internet.conftest import StartDouble, status, stock, wait_until

pytestmark = pytest.mark.interop


def _has_default_route() -> bool:
    lines = Path("/proc/net/route").read_text().splitlines()[1:]
    return any(line.split()[1] == "00000000" for line in lines)


@pytest.mark.timeout(120)
def test_a_press_with_an_uplink_delivers_and_collects_in_the_daemon(
    tmp_path: Path, world: World, start_double: StartDouble,
) -> None:
    if not _has_default_route():
        pytest.skip("no default route here: the uplink can never be up")
    data = tmp_path / "data"
    files = stock(data, world, [0])
    double = start_double("normal", production=True, idleSeconds=600)
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "COURIER_INTERNET__GATEWAYS": f'{{"gateway.example" = "127.0.0.1:{double.port}"}}',
           "COURIER_INTERNET__CA_FILE": f'"{double.ca}"',
           "COURIER_INTERNET__REPLY_WAIT_SECONDS": "0"}
    log = tmp_path / "courier.log"
    with log.open("wb") as out:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "courier", "run", "--config", "/nonexistent", "--data-dir",
             str(data), "--hardware", "sim", "--no-network", "--sim-keyboard", "--listen",
             f"127.0.0.1:{free_port()}", "--tls-address", "127.0.0.1"],
            cwd=REPO, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, env=env)
    assert daemon.stdin is not None
    try:
        # The uplink is up: a default route, and the held gateway (overridden here) answers.
        wait_until(lambda: "uplink: UplinkUp" in log.read_text(errors="replace"), 30)
        daemon.stdin.write(b"\n")  # a short press
        daemon.stdin.flush()
        inbound = len(world["gateways"][0]["inbound"])
        wait_until(lambda: status(data)["cargo_to_private"] == inbound, 60)
        counts = status(data)
        assert (counts["cargo_to_internet"], counts["ccas"]) == (0, 0)
        delivered = sorted(str(e["sha256"]) for e in double.events() if e["call"] == "deliver")
        assert delivered == sorted(hashlib.sha256(Path(f).read_bytes()).hexdigest()
                                   for f in files["cargo"])
        assert next(e["call"] for e in double.events()) == "cold"  # retried once, in the daemon
    finally:
        daemon.stdin.close()
        daemon.terminate()
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    assert daemon.returncode == 0, log.read_text()[-3000:]
