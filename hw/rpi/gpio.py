"""Button and LEDs through the RPi.GPIO API (provided by rpi-lgpio on mainline kernels and Pi 5)."""

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from courier.errors import HardwareError
from courier.panel.ports import EdgeCallback

logger = logging.getLogger(__name__)

GPIO_CHIP = "gpiochip0"


def import_gpio() -> ModuleType:
    """Import RPi.GPIO (only here: the vendor library never loads on other backends)."""
    try:
        import RPi.GPIO as gpio  # noqa: PLC0415, N811 - vendor import confined to this backend
    except ImportError as error:
        raise HardwareError(
            "RPi.GPIO is not installed: install the pi extra "
            "(pip install 'relaynet-courier[pi]', which brings rpi-lgpio), "
            "or set [device] hardware = \"sim\"") from error
    except Exception as error:  # rpi-lgpio refuses to load where it finds no Pi (RuntimeError...)
        raise gpio_error(error) from error
    try:
        gpio.setwarnings(False)
        gpio.setmode(gpio.BCM)
    except Exception as error:  # a library that cannot open the gpiochip fails here
        raise gpio_error(error) from error
    module: ModuleType = gpio
    return module


def gpio_error(error: BaseException, pin: int | None = None, dev: Path = Path("/dev")) -> \
        HardwareError:
    """Translate a GPIO failure into what the courier's owner must do."""
    chip = dev / GPIO_CHIP
    where = f"GPIO {pin}" if pin is not None else "GPIO"
    if not chip.exists():
        return HardwareError(
            f"{where}: no {chip}: this is not a Raspberry Pi (or the kernel has no GPIO driver); "
            "on a laptop set [device] hardware = \"sim\"")
    if isinstance(error, PermissionError) or not os.access(chip, os.R_OK | os.W_OK):
        return HardwareError(
            f"{where}: permission denied on {chip}: add the courier user to group gpio "
            "(usermod -aG gpio courier) or allow the device in the systemd unit (DeviceAllow)")
    if "busy" in str(error).lower():
        return HardwareError(f"{where}: pin in use by another program (see gpioinfo)")
    return HardwareError(f"{where} failed: {error}")


def _guard(pin: int, call: Callable[[], Any], dev: Path) -> Any:
    """Run a GPIO call, translating its failure."""
    try:
        return call()
    except HardwareError:
        raise
    except Exception as error:  # the vendor library raises RuntimeError, OSError or lgpio.error
        raise gpio_error(error, pin, dev) from error


class RpiButton:
    """A button from a GPIO pin to GND, with the SoC's pull-up: low level = pressed."""

    def __init__(self, gpio: ModuleType, pin: int, *, clock: Callable[[], float] = time.monotonic,
                 dev: Path = Path("/dev")) -> None:
        self._gpio, self.pin, self._clock, self._dev = gpio, pin, clock, dev
        self._started = False
        _guard(pin, lambda: gpio.setup(pin, gpio.IN, pull_up_down=gpio.PUD_UP), dev)

    def start(self, on_edge: EdgeCallback) -> None:
        """Report both edges; debouncing is left to courier.panel.button (no bouncetime here)."""
        def callback(_channel: int) -> None:
            on_edge(self.is_pressed(), self._clock())
        gpio = self._gpio
        _guard(self.pin, lambda: gpio.add_event_detect(self.pin, gpio.BOTH, callback=callback),
               self._dev)
        self._started = True

    def is_pressed(self) -> bool:
        """Return True while the button pulls the pin low."""
        return bool(self._gpio.input(self.pin) == self._gpio.LOW)

    def close(self) -> None:
        """Stop edge detection and release the pin."""
        if self._started:
            self._gpio.remove_event_detect(self.pin)
            self._started = False
        self._gpio.cleanup(self.pin)


class RpiLed:
    """An LED from a GPIO pin through a resistor to GND: high level = lit."""

    def __init__(self, gpio: ModuleType, pin: int, *, dev: Path = Path("/dev")) -> None:
        self._gpio, self.pin = gpio, pin
        _guard(pin, lambda: gpio.setup(pin, gpio.OUT, initial=gpio.LOW), dev)
        self._on = False

    def set(self, on: bool) -> None:
        """Light or darken the LED (writes only on change)."""
        if on != self._on:
            self._gpio.output(self.pin, self._gpio.HIGH if on else self._gpio.LOW)
            self._on = on

    def close(self) -> None:
        """Darken the LED and release the pin."""
        self._gpio.output(self.pin, self._gpio.LOW)
        self._gpio.cleanup(self.pin)
