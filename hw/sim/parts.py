"""Simulated button and LEDs: edges injected by a script or a keyboard, LED history with times."""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from courier.panel.button import ButtonTiming
from courier.panel.ports import EdgeCallback
from hw.sim.faults import SimFaults

logger = logging.getLogger(__name__)
KEPT_CHANGES = 1024  # per LED: the latest changes only


class SimButton:
    """A button whose edges come from press()/release() calls (tests, scripts, the keyboard)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 faults: SimFaults | None = None) -> None:
        self._clock = clock
        self._faults = faults or SimFaults(None)
        self._pressed = False
        self._on_edge: EdgeCallback | None = None
        self.closed = False

    def start(self, on_edge: EdgeCallback) -> None:
        """Report edges to `on_edge`."""
        self._on_edge = on_edge

    def is_pressed(self) -> bool:
        """Return the simulated level (HardwareError while the button is declared broken)."""
        self._faults.check("button")
        return self._pressed

    def set_level(self, pressed: bool, at: float | None = None) -> None:
        """Change the level like a contact would (repeated levels are not edges)."""
        if pressed == self._pressed or self.closed:
            return
        self._pressed = pressed
        if self._on_edge is not None:
            self._on_edge(pressed, self._clock() if at is None else at)

    def tap(self, at: float, held: float, bounce: tuple[float, ...] = ()) -> None:
        """Press at `at` for `held` seconds; `bounce` adds contact chatter (offsets) after press."""
        self.set_level(True, at)
        for offset in bounce:
            self.set_level(False, at + offset)
            self.set_level(True, at + offset + 0.001)
        self.set_level(False, at + held)

    def close(self) -> None:
        """Stop reporting edges."""
        self.closed = True
        self._on_edge = None


@dataclass(frozen=True)
class LedChange:
    """One LED level change."""

    at: float
    on: bool


class SimLed:
    """An LED that records its latest changes with their times (a daemon runs for days)."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic,
                 faults: SimFaults | None = None) -> None:
        self.name = name
        self._clock = clock
        self._faults = faults or SimFaults(None)
        self.on = False
        self.history: deque[LedChange] = deque(maxlen=KEPT_CHANGES)

    def set(self, on: bool) -> None:
        """Record a change of level (HardwareError while this LED is declared broken)."""
        self._faults.check(f"{self.name}-led")
        if on != self.on:
            self.on = on
            self.history.append(LedChange(self._clock(), on))

    def close(self) -> None:
        """Darken the LED."""
        if self.on:  # even when declared broken: closing never fails
            self.on = False
            self.history.append(LedChange(self._clock(), False))


DEFAULT_TIMING = ButtonTiming()

# Enter alone = short press; "l" = long press; "w" = held through the wipe countdown, released.
KEYS = {"": "short", "l": "long", "w": "wipe"}


def hold_for(command: str, timing: ButtonTiming) -> float | None:
    """Return how long the keyboard command holds the button, or None if it is not a command."""
    gesture = KEYS.get(command.strip().lower())
    if gesture == "short":
        return timing.debounce + 0.1
    if gesture == "long":
        return (timing.long_press + timing.wipe_arm) / 2
    if gesture == "wipe":
        return timing.wipe_arm + timing.wipe_countdown + timing.confirm_window / 2
    return None


class KeyboardButton:
    """Drive a SimButton from lines typed in a terminal (a thread reading `stream`)."""

    def __init__(self, button: SimButton, stream: TextIO, timing: ButtonTiming = DEFAULT_TIMING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._button, self._stream, self._timing, self._clock = button, stream, timing, clock
        self._thread = threading.Thread(target=self._run, name="sim-keyboard", daemon=True)
        self._free_at = float("-inf")  # synthetic releases lie in the future: never overlap them

    def handle_line(self, line: str) -> bool:
        """Turn a typed line into a press and release, timestamped to say how long it was held."""
        held = hold_for(line, self._timing)
        if held is None:
            logger.info("keyboard: Enter = short press, l = long, w = panic wipe")
            return False
        start = max(self._clock(), self._free_at + 0.1)
        self._button.tap(start, held)
        self._free_at = start + held
        return True

    def start(self) -> None:
        """Start reading lines."""
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the reader to finish (close the stream first)."""
        self._thread.join(timeout)

    def _run(self) -> None:
        for line in self._stream:
            self.handle_line(line)
