"""The ports a board implements and the daemon drives (hw.rpi, hw.sim; chosen by hw.open_board)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PIL import Image

from courier.config import PanelConfig

# (pressed, monotonic seconds): called for every raw level change, possibly from a driver thread.
EdgeCallback = Callable[[bool, float], None]


class ButtonPort(Protocol):
    """The push button: raw, undebounced edges (courier.panel.button classifies them)."""

    def start(self, on_edge: EdgeCallback) -> None:
        """Begin reporting edges to `on_edge` (may be called from another thread)."""

    def is_pressed(self) -> bool:
        """Return the raw level now (True = pressed)."""

    def close(self) -> None:
        """Stop reporting and release the pin."""


class LedPort(Protocol):
    """One LED."""

    def set(self, on: bool) -> None:
        """Light or darken the LED."""

    def close(self) -> None:
        """Darken the LED and release the pin."""


class DisplayPort(Protocol):
    """A 128x64 monochrome display."""

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height) in pixels."""

    def show(self, image: Image.Image) -> None:
        """Display a mode "1" image of `size` (identical frames may be skipped)."""

    def close(self) -> None:
        """Release the display."""


@dataclass(frozen=True)
class BoardSettings:
    """What a backend needs: pins (BCM numbers), display chip and bus, and the sim's frame dir."""

    display: str = "ssd1306"  # ssd1306, sh1106 or none
    i2c_port: int = 1
    i2c_address: int = 0x3C
    button_pin: int = 17
    status_led_pin: int = 27
    activity_led_pin: int = 22
    sim_dir: str = ""  # hw.sim: where PNG frames go ("" = keep frames in memory only)
    sim_keep_frames: bool = False  # hw.sim: also write every frame as frame-NNNNNN.png
    sim_preview: bool = False  # hw.sim: redraw each frame on stdout in Unicode blocks

    @classmethod
    def from_config(cls, panel: PanelConfig, sim_dir: str = "") -> "BoardSettings":
        """Return the settings of the [panel] configuration section."""
        return cls(display=panel.display, i2c_port=panel.i2c_port, i2c_address=panel.i2c_address,
                   button_pin=panel.button_pin, status_led_pin=panel.status_led_pin,
                   activity_led_pin=panel.activity_led_pin, sim_dir=sim_dir)


@dataclass
class Board:
    """An opened board; close() releases every part even if one fails."""

    name: str
    button: ButtonPort
    status_led: LedPort
    activity_led: LedPort
    display: DisplayPort | None

    def close(self) -> None:
        """Release every part; re-raise the first failure after trying them all."""
        first: Exception | None = None
        parts: list[ButtonPort | LedPort | DisplayPort | None] = [
            self.button, self.status_led, self.activity_led, self.display]
        for part in parts:
            if part is None:
                continue
            try:
                part.close()
            except Exception as error:  # noqa: BLE001 - close the rest, then report the first
                first = first or error
        if first is not None:
            raise first
