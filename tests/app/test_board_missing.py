"""Without its board (no GPIO, no OLED), the daemon says so and keeps serving cargo."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.test_device_component import Device
from tests.cogrpc.conftest import free_port, node
from tests.conftest import REPO

pytestmark = pytest.mark.interop


def test_missing_board_is_reported_and_cargo_is_still_served(
        tmp_path: Path, world: dict[str, object]) -> None:
    device = Device.__new__(Device)
    device.data_dir, device.log = tmp_path / "data", tmp_path / "daemon.log"
    device.port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RPI_LGPIO_REVISION": ""}
    with device.log.open("wb") as out:
        device.process = subprocess.Popen(
            [sys.executable, "-m", "courier", "run", "--config", "/nonexistent", "--data-dir",
             str(device.data_dir), "--hardware", "rpi", "--no-network",
             "--listen", f"127.0.0.1:{device.port}", "--tls-address", "127.0.0.1"],
            cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        device.wait_for("serving CogRPC")
        device.wait_for("panel unavailable")
        gateway = world["gateways"][0]  # type: ignore[index]
        files = [str(Path(str(world["dir"])) / name) for name in gateway["outbound"][:2]]
        assert sorted(node("deliver", f"127.0.0.1:{device.port}", *files)["acked"]) == sorted(files)
    finally:
        device.process.send_signal(signal.SIGTERM)
        code = device.process.wait(timeout=30)
    assert code == 0, device.log.read_text()[-3000:]
    status = subprocess.run([sys.executable, "-m", "courier", "status", "--json", "--config",
                             "/nonexistent", "--data-dir", str(device.data_dir)], cwd=REPO,
                            capture_output=True, text=True, check=True, timeout=30)
    assert json.loads(status.stdout)["cargo_to_internet"] == 2
