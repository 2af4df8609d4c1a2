"""The same interface tests against every backend: sim directly, rpi over a fake RPi.GPIO."""

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

import hw
from courier.config import PanelConfig
from courier.errors import HardwareError
from courier.panel.button import ButtonClassifier, GestureKind
from courier.panel.ports import Board, BoardSettings
from courier.panel.screens import render
from hw.rpi.display import open_display
from hw.sim.parts import SimButton, SimLed
from tests.conftest import REPO
from tests.hw.fake_gpio import FakeGPIO, installed
from tests.hw.fake_i2c import FakeBus
from tests.panel.golden_views import GOLDEN

SETTINGS = BoardSettings(display="none", button_pin=17, status_led_pin=27, activity_led_pin=22)


@dataclass
class Rig:
    """An opened board and the physics to act on it."""

    board: Board
    press: Callable[[bool], None]  # close or open the button contact
    led_level: Callable[[str], bool]  # what an observer sees on "status" / "activity"


def _sim_rig() -> Rig:
    board = hw.open_board("sim", SETTINGS)
    button = board.button
    assert isinstance(button, SimButton)
    leds = {"status": board.status_led, "activity": board.activity_led}

    def level(name: str) -> bool:
        led = leds[name]
        assert isinstance(led, SimLed)
        return led.on
    return Rig(board, button.set_level, level)


def _rpi_rig(gpio: FakeGPIO) -> Rig:
    board = hw.open_board("rpi", SETTINGS)
    pins = {"status": SETTINGS.status_led_pin, "activity": SETTINGS.activity_led_pin}
    return Rig(board,
               lambda closed: gpio.drive(SETTINGS.button_pin, gpio.LOW if closed else gpio.HIGH),
               lambda name: gpio.pins[pins[name]].level == gpio.HIGH)


@pytest.fixture(params=["sim", "rpi"])
def rig(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    if request.param == "sim":
        made = _sim_rig()
        yield made
        made.board.close()
    else:
        with installed(monkeypatch) as gpio:
            made = _rpi_rig(gpio)
            yield made
            made.board.close()
            assert gpio.pins == {}, "every pin released"


def test_button_reports_edges_that_classify(rig: Rig) -> None:
    edges: list[tuple[bool, float]] = []
    rig.board.button.start(lambda pressed, at: edges.append((pressed, at)))
    assert not rig.board.button.is_pressed()
    rig.press(True)
    assert rig.board.button.is_pressed()
    rig.press(False)
    assert [pressed for pressed, _ in edges] == [True, False]
    assert edges[0][1] <= edges[1][1]
    # Replay with chosen times: the classifier sees a short press.
    classifier = ButtonClassifier()
    gestures = classifier.edge(True, 1.0) + classifier.edge(False, 1.2) + classifier.tick(2.0)
    assert [g.kind for g in gestures] == [GestureKind.SHORT]


def test_leds_light_and_darken(rig: Rig) -> None:
    for name, led in (("status", rig.board.status_led), ("activity", rig.board.activity_led)):
        assert not rig.led_level(name)
        led.set(True)
        assert rig.led_level(name)
        led.set(False)
        assert not rig.led_level(name)


def test_unknown_backend_is_an_actionable_error() -> None:
    with pytest.raises(HardwareError, match="one of rpi, sim"):
        hw.open_board("bbb", SETTINGS)


def test_environment_chooses_the_backend() -> None:
    assert hw.backend_name("rpi", {}) == "rpi"
    assert hw.backend_name("rpi", {"COURIER_HARDWARE": "sim"}) == "sim"
    assert hw.backend_name("sim", {"COURIER_HARDWARE": " "}) == "sim"


def test_rpi_without_gpio_library_is_an_error_not_a_fallback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "RPi.GPIO", None)
    with pytest.raises(HardwareError, match=r"pi extra"):
        hw.open_board("rpi", SETTINGS)


def test_sim_never_loads_vendor_libraries() -> None:
    code = ("import sys, hw\nfrom courier.panel.ports import BoardSettings\n"
            "hw.open_board('sim', BoardSettings()).close()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('RPi', 'luma', 'lgpio',"
            " 'smbus2')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip() == "[]"


# ---- displays: the sim and luma's real drivers over a fake I2C bus ----------------------------

def _page_packed(image: Image.Image) -> bytes:
    """SSD1306/SH1106 memory layout: 8 pages of 128 columns, bit i = row page*8+i."""
    pixels: Any = image.convert("1").load()
    return bytes(
        sum(1 << bit for bit in range(8) if pixels[x, page * 8 + bit])
        for page in range(8) for x in range(128))


# luma.oled 3.16 calls Image.getdata, deprecated in Pillow 13: harmless until Pillow 14.
@pytest.mark.filterwarnings("ignore:Image.Image.getdata is deprecated:DeprecationWarning")
@pytest.mark.parametrize("chip", ["ssd1306", "sh1106"])
def test_luma_driver_sends_the_frame_bytes(chip: str) -> None:
    bus = FakeBus()
    display = open_display(BoardSettings(display=chip), bus=bus)
    assert display is not None and display.size == (128, 64)
    commands = bus.commands()
    assert 0xAE in commands and 0xAF in commands  # display off during init, then on
    frame = render(GOLDEN["session"])
    bus.clear()
    display.show(frame)
    assert bus.data() == _page_packed(frame)
    assert {address for address, _, _ in bus.blocks} == {0x3C}
    if chip == "sh1106":  # SH1106 has no horizontal addressing: one page at a time, column 2
        assert [c for c in bus.commands() if 0xB0 <= c <= 0xB7] == list(range(0xB0, 0xB8))
    bus.clear()
    display.show(frame.copy())
    assert bus.blocks == []  # identical frame: nothing sent (25 ms saved)
    display.close()
    assert bus.data() == bytes(1024) or 0xAE in bus.commands()


@pytest.fixture(params=["sim", "ssd1306", "sh1106"])
def display_and_sent(request: pytest.FixtureRequest) -> Iterator[tuple[Any, Callable[[], int]]]:
    """A display of each backend and a count of frames that reached it."""
    if request.param == "sim":
        board = hw.open_board("sim", BoardSettings())
        yield board.display, lambda: board.display.shown  # type: ignore[union-attr]
        board.close()
        return
    bus = FakeBus()
    display = open_display(BoardSettings(display=request.param), bus=bus)
    bus.clear()
    yield display, lambda: len(bus.data()) // 1024
    assert display is not None
    display.close()


@pytest.mark.filterwarnings("ignore:Image.Image.getdata is deprecated:DeprecationWarning")
def test_display_interface(display_and_sent: tuple[Any, Callable[[], int]]) -> None:
    display, sent = display_and_sent
    assert display.size == (128, 64)
    first, second = render(GOLDEN["ready"]), render(GOLDEN["clock_trusted"])
    display.show(first)
    display.show(first.copy())
    display.show(second)
    assert sent() == 2  # the repeated frame was skipped


def test_sim_display_keeps_the_frame() -> None:
    board = hw.open_board("sim", BoardSettings())
    assert board.display is not None and board.display.size == (128, 64)
    frame = render(GOLDEN["ready"])
    board.display.show(frame)
    assert board.display.last.tobytes() == frame.tobytes()  # type: ignore[attr-defined]
    board.close()


def test_settings_from_the_panel_configuration() -> None:
    panel = PanelConfig(display="sh1106", i2c_address=0x3D, button_pin=5)
    settings = BoardSettings.from_config(panel, sim_dir="/tmp/x")
    assert (settings.display, settings.i2c_address, settings.button_pin, settings.sim_dir) == (
        "sh1106", 0x3D, 5, "/tmp/x")
    assert BoardSettings.from_config(PanelConfig()) == BoardSettings()
