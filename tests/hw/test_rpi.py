"""hw.rpi specifics: pin setup, edge callbacks, and OS errors turned into what to do."""

import errno
from pathlib import Path

import pytest
from luma.core.error import DevicePermissionError
from PIL import Image

import hw
from courier.errors import HardwareError
from courier.panel.ports import BoardSettings
from hw.rpi.display import display_error, open_display
from hw.rpi.gpio import RpiButton, RpiLed, gpio_error, import_gpio
from tests.hw.fake_gpio import BOTH, IN, OUT, PUD_UP, installed
from tests.hw.fake_i2c import NO_DEVICE, FakeBus

SETTINGS = BoardSettings(display="none")


def test_pins_are_set_up_like_the_wiring(monkeypatch: pytest.MonkeyPatch) -> None:
    with installed(monkeypatch) as gpio:
        board = hw.open_board("rpi", SETTINGS)
        assert gpio.mode == gpio.BCM
        button = gpio.pins[17]
        assert button.direction == IN and button.level == gpio.HIGH  # pulled up: released
        assert gpio.pins[27].direction == OUT and gpio.pins[27].level == gpio.LOW
        board.button.start(lambda pressed, at: None)
        assert button.edge == BOTH
        board.close()
        assert gpio.pins == {}


def test_button_timestamps_come_from_the_injected_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    with installed(monkeypatch) as gpio:
        module = import_gpio()
        times = iter([10.0, 10.25])
        button = RpiButton(module, 5, clock=lambda: next(times))
        edges: list[tuple[bool, float]] = []
        button.start(lambda pressed, at: edges.append((pressed, at)))
        gpio.drive(5, gpio.LOW)
        gpio.drive(5, gpio.HIGH)
        assert edges == [(True, 10.0), (False, 10.25)]
        assert gpio.pins[5].level == gpio.HIGH and PUD_UP
        button.close()


def test_led_writes_only_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    with installed(monkeypatch) as gpio:
        led = RpiLed(import_gpio(), 6)
        for level in (True, True, False, False, True):
            led.set(level)
        assert gpio.writes == [(6, 1), (6, 0), (6, 1)]
        led.close()
        assert 6 not in gpio.pins


def test_failure_midway_releases_claimed_pins(monkeypatch: pytest.MonkeyPatch) -> None:
    with installed(monkeypatch) as gpio:
        with pytest.raises(HardwareError, match="unknown display"):
            hw.open_board("rpi", BoardSettings(display="st7735"))
        assert gpio.pins == {}


def test_missing_oled_leaves_button_and_leds_working(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with installed(monkeypatch) as gpio:
        board = hw.open_board("rpi", BoardSettings(display="ssd1306", i2c_port=97))
        assert board.display is None
        assert set(gpio.pins) == {17, 27, 22}
        assert "running without a screen" in caplog.text
        board.close()


def test_busy_pin_is_explained(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with installed(monkeypatch) as gpio:
        gpio.fail_setup = RuntimeError("GPIO busy")
        with pytest.raises(HardwareError, match="GPIO 17") as caught:
            hw.open_board("rpi", SETTINGS)
        assert "no /dev/gpiochip0" in str(caught.value) or "in use" in str(caught.value)


def test_gpio_errors_say_what_to_do(tmp_path: Path) -> None:
    message = str(gpio_error(RuntimeError("x"), 17, dev=tmp_path))
    assert "not a Raspberry Pi" in message and 'hardware = "sim"' in message
    (tmp_path / "gpiochip0").touch()
    message = str(gpio_error(PermissionError(13, "denied"), 17, dev=tmp_path))
    assert "group gpio" in message
    assert "in use" in str(gpio_error(RuntimeError("GPIO busy"), 4, dev=tmp_path))


def test_display_errors_say_what_to_do() -> None:
    settings = BoardSettings(display="ssd1306", i2c_port=97)
    with pytest.raises(HardwareError, match=r"no /dev/i2c-97: enable I2C"):
        open_display(settings)  # no such bus on this machine, nor on a Pi without dtparam=i2c_arm
    with pytest.raises(HardwareError, match=r"nothing answers at 0x3C .*i2cdetect -y 97"):
        open_display(settings, bus=FakeBus(fail_errno=NO_DEVICE))
    denied = display_error(DevicePermissionError("I2C device permission denied: /dev/i2c-1"),
                           settings)
    assert "group i2c" in str(denied)
    assert "group i2c" in str(display_error(OSError(errno.EACCES, "x"), settings))


def test_display_none_means_no_display() -> None:
    assert open_display(BoardSettings(display="none")) is None


def test_library_that_cannot_reach_the_chip_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    with installed(monkeypatch) as gpio:
        def refuse(_mode: int) -> None:
            raise RuntimeError("Cannot determine SOC peripheral base address")
        monkeypatch.setattr(gpio, "setmode", refuse)
        with pytest.raises(HardwareError, match=r"^GPIO"):
            hw.open_board("rpi", SETTINGS)


@pytest.mark.filterwarnings("ignore:Image.Image.getdata is deprecated:DeprecationWarning")
def test_display_unplugged_while_running_is_explained() -> None:
    bus = FakeBus()
    display = open_display(BoardSettings(display="ssd1306"), bus=bus)
    assert display is not None
    bus.fail_errno = NO_DEVICE
    frame = Image.new("1", (128, 64), 1)
    with pytest.raises(HardwareError, match="nothing answers at 0x3C"):
        display.show(frame)
    bus.fail_errno = None
    display.show(frame)  # back: the same frame is sent again, not skipped
    assert len(bus.data()) >= 1024
