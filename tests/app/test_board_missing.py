"""Without its board (no GPIO, no OLED), the daemon says so and keeps serving cargo."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.app.test_device_component import Device
from tests.cogrpc.conftest import node
from tests.conftest import REPO

pytestmark = pytest.mark.interop


def test_missing_board_is_reported_and_cargo_is_still_served(
        tmp_path: Path, world: dict[str, object]) -> None:
    device = Device(tmp_path, hardware="rpi")  # no RPi.GPIO on this machine
    try:
        device.wait_for("panel unavailable")
        gateway = world["gateways"][0]  # type: ignore[index]
        files = [str(Path(str(world["dir"])) / name) for name in gateway["outbound"][:2]]
        assert sorted(node("deliver", f"127.0.0.1:{device.port}", *files)["acked"]) == sorted(files)
    finally:
        code = device.stop()
    assert code == 0, device.log.read_text()[-3000:]
    status = subprocess.run([sys.executable, "-m", "courier", "status", "--json", "--config",
                             "/nonexistent", "--data-dir", str(device.data_dir)], cwd=REPO,
                            capture_output=True, text=True, check=True, timeout=30)
    assert json.loads(status.stdout)["cargo_to_internet"] == 2
