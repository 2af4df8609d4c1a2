"""Parts of the board failing while the daemon runs: a fault shown, cleared when they return."""

from pathlib import Path

import pytest
from PIL import Image

from courier.panel.screens import render
from courier.panel.session_types import Problem
from courier.panel.views import ProblemView
from tests.app.test_daemon_screens import Frames
from tests.app.test_device_component import Device
from tests.internet.conftest import wait_until


def fault_frame(detail: str) -> bytes:
    """Return the problem screen the daemon must draw for a hardware fault with this detail."""
    image: Image.Image = render(ProblemView(Problem.HARDWARE_FAULT, detail))
    return image.convert("1").tobytes()


def wait_for_frame(frames: Frames, expected: bytes) -> None:
    """Wait until the simulated display has shown `expected`."""
    wait_until(lambda: expected in frames.seen, 15)


@pytest.mark.timeout(120)
def test_parts_failing_while_running_raise_a_fault_that_clears(tmp_path: Path) -> None:
    device = Device(tmp_path)
    faults = device.data_dir / "sim" / "faults"
    frames = Frames(device.data_dir / "sim")
    try:
        at = device.wait_for("status LED:")
        for part, logged in (("button", "button"), ("status-led", "status LED")):
            faults.write_text(f"{part}\n")
            at = device.wait_for(f"{logged} failed: simulated fault", at)
            at = device.wait_for("status LED: sos", at)
            detail = f"{logged}: simulated fault: {part} listed in {faults}"[:60]
            wait_for_frame(frames, fault_frame(detail))
            faults.unlink()
            at = device.wait_for(f"{logged} works again", at)
            at = device.wait_for("status LED:", at)  # back to what it showed before
        faults.write_text("display\n")
        at = device.wait_for("display failed: simulated fault", at)
        at = device.wait_for("status LED: sos", at)  # the screen cannot say it: the LED does
        seen = len(frames.seen)
        faults.unlink()
        at = device.wait_for("display works again", at)
        wait_until(lambda: len(frames.seen) > seen, 15)  # drawing again
        device.press()  # the button still opens a session after all that
        device.wait_for("-> hotspot", at)
    finally:
        frames.stop()
        assert device.stop() == 0
