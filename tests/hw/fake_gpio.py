"""A small fake of the RPi.GPIO API that behaves like the pins: levels, pull-ups, edge callbacks."""

import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

BCM, BOARD = 11, 10
IN, OUT = 1, 0
LOW, HIGH = 0, 1
PUD_OFF, PUD_DOWN, PUD_UP = 20, 21, 22
RISING, FALLING, BOTH = 31, 32, 33


@dataclass
class Pin:
    """One GPIO line."""

    direction: int
    level: int
    edge: int | None = None
    callbacks: list[Callable[[int], None]] = field(default_factory=list)


class FakeGPIO(types.ModuleType):
    """The module object inserted as sys.modules['RPi.GPIO']."""

    def __init__(self) -> None:
        super().__init__("RPi.GPIO")
        for name, value in globals().items():
            if name.isupper():
                setattr(self, name, value)
        self.mode: int | None = None
        self.pins: dict[int, Pin] = {}
        self.writes: list[tuple[int, int]] = []
        self.fail_setup: Exception | None = None

    def setwarnings(self, _flag: bool) -> None:
        pass

    def setmode(self, mode: int) -> None:
        if self.mode is not None and self.mode != mode:
            raise ValueError("A different mode has already been set!")
        self.mode = mode

    def _pin(self, channel: int) -> Pin:
        if self.mode is None:
            raise RuntimeError("Please set pin numbering mode using GPIO.setmode(GPIO.BOARD) "
                               "or GPIO.setmode(GPIO.BCM)")
        if channel not in self.pins:
            raise RuntimeError("You must setup() the GPIO channel first")
        return self.pins[channel]

    def setup(self, channel: int, direction: int, pull_up_down: int = PUD_OFF,
              initial: int | None = None) -> None:
        if self.mode is None:
            raise RuntimeError("Please set pin numbering mode first")
        if self.fail_setup is not None:
            raise self.fail_setup
        level = (HIGH if pull_up_down == PUD_UP else LOW) if direction == IN else (initial or LOW)
        self.pins[channel] = Pin(direction, level)

    def input(self, channel: int) -> int:
        return self._pin(channel).level

    def output(self, channel: int, value: int) -> None:
        pin = self._pin(channel)
        if pin.direction != OUT:
            raise RuntimeError("The GPIO channel has not been set up as an OUTPUT")
        pin.level = HIGH if value else LOW
        self.writes.append((channel, pin.level))

    def add_event_detect(self, channel: int, edge: int,
                         callback: Callable[[int], None] | None = None,
                         bouncetime: int | None = None) -> None:
        pin = self._pin(channel)
        if pin.direction != IN:
            raise RuntimeError("You must setup() the GPIO channel as an input first")
        if pin.edge is not None:
            raise RuntimeError("Conflicting edge detection already enabled for this GPIO channel")
        assert bouncetime is None, "debounce is done in courier.panel.button"
        pin.edge = edge
        if callback is not None:
            pin.callbacks.append(callback)

    def remove_event_detect(self, channel: int) -> None:
        pin = self._pin(channel)
        pin.edge, pin.callbacks = None, []

    def cleanup(self, channel: int | None = None) -> None:
        if channel is None:
            self.pins.clear()
        else:
            self.pins.pop(channel, None)

    # -- physics, for tests -------------------------------------------------------------------

    def drive(self, channel: int, level: int) -> None:
        """Force an input's level (a button closing to GND) and fire the edge callbacks."""
        pin = self.pins[channel]
        if level == pin.level:
            return
        pin.level = level
        wanted = {BOTH, FALLING if level == LOW else RISING}
        if pin.edge in wanted:
            for callback in list(pin.callbacks):
                callback(channel)


@contextmanager
def installed(monkeypatch: Any) -> Iterator[FakeGPIO]:
    """Insert a fresh fake as RPi.GPIO for the duration of a test."""
    fake = FakeGPIO()
    package = types.ModuleType("RPi")
    package.GPIO = fake  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "RPi", package)
    monkeypatch.setitem(sys.modules, "RPi.GPIO", fake)
    yield fake
