"""The daemon on the simulated board: press, sync with the official client, idle close, wipe."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from tests.cogrpc.conftest import free_port, node
from tests.conftest import REPO

pytestmark = pytest.mark.interop


class Device:
    """`courier run --hardware sim --sim-keyboard` with a pipe as its button."""

    def __init__(self, tmp_path: Path, hardware: str = "sim", extra: tuple[str, ...] = (),
                 stock: "Callable[[Path], None] | None" = None, settings: str = "",
                 network: bool = False) -> None:
        self.data_dir = tmp_path / "data"
        self.log = tmp_path / "daemon.log"
        self.port = free_port()
        config = tmp_path / "courier.toml"
        config.write_text('[session]\nidle_close_seconds = 3\n[device]\nname = "Test courier"\n'
                          + settings)
        subprocess.run([sys.executable, "-m", "courier", "init", "--data-dir",
                        str(self.data_dir), "--config", str(config)], cwd=REPO, check=True,
                       capture_output=True, timeout=60)
        if stock is not None:
            stock(self.data_dir)  # before the daemon owns the store
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "courier", "run", "--config", str(config), "--data-dir",
                 str(self.data_dir), "--hardware", hardware,
                 *([] if network else ["--no-network"]),
                 *(["--sim-keyboard"] if hardware == "sim" else []),
                 "--listen", f"127.0.0.1:{self.port}", "--tls-address", "127.0.0.1", *extra],
                cwd=REPO, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.wait_for("serving CogRPC")

    def press(self, command: str = "") -> None:
        """Type a line: Enter = short press, 'w' = hold for the panic wipe."""
        assert self.process.stdin is not None
        self.process.stdin.write(command.encode() + b"\n")
        self.process.stdin.flush()

    def wait_for(self, text: str, after: int = 0, timeout: float = 30) -> int:
        """Wait for a log line containing `text` past offset `after`; return the new offset."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            content = self.log.read_text(errors="replace")
            found = content.find(text, after)
            if found >= 0:
                return found + len(text)
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"never logged {text!r}:\n{self.log.read_text()[-4000:]}")

    def frame(self) -> Image.Image:
        """Return the last frame the simulated display showed."""
        return Image.open(self.data_dir / "sim" / "last.png")

    def stop(self) -> int:
        """Close the button pipe, SIGTERM, and return the exit status."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


@pytest.fixture
def device(tmp_path: Path) -> Iterator[Device]:
    running = Device(tmp_path)
    yield running
    running.stop()


def test_press_sync_idle_close_then_wipe(device: Device, world: dict[str, object]) -> None:
    import zxingcpp  # noqa: PLC0415

    at = device.wait_for("status LED:")
    device.press()
    at = device.wait_for("-> hotspot", at)
    at = device.wait_for("status LED: slow_blink", at)
    time.sleep(0.5)
    codes = [r.text for r in zxingcpp.read_barcodes(device.frame().convert("L"))]
    credentials = json.loads((device.data_dir / "keys" / "wifi.json").read_text())
    assert codes == [f"WIFI:T:WPA;S:{credentials['ssid']};P:{credentials['passphrase']};;"]

    folder = Path(str(world["dir"]))
    files = [str(folder / name) for name in world["gateways"][0]["outbound"][:3]]  # type: ignore[index]
    assert sorted(node("deliver", f"127.0.0.1:{device.port}", *files)["acked"]) == sorted(files)
    # No more client activity: the session closes by itself after idle_close_seconds.
    at = device.wait_for("hotspot closed", at, timeout=20)

    device.press("w")  # hold through the countdown, then release: confirmed wipe
    at = device.wait_for("store wiped", at, timeout=30)
    assert not (device.data_dir / "keys" / "store.key").exists()
    assert not (device.data_dir / "store").exists()
    assert device.stop() == 0
