"""A simulated OLED: keeps frames, writes PNGs (last, optionally all), previews in a terminal."""

import os
from collections import deque
from pathlib import Path
from typing import TextIO

from PIL import Image

from hw.sim.faults import SimFaults

WIDTH, HEIGHT = 128, 64
KEPT_FRAMES = 256
# Two pixel rows per character cell: (top lit, bottom lit) -> block character.
_BLOCKS = {(False, False): " ", (True, False): "\u2580", (False, True): "\u2584",
           (True, True): "\u2588"}


def block_art(image: Image.Image) -> str:
    """Return the image as Unicode half-block text: 128 columns by 32 lines for 128x64."""
    frame = image.convert("1")
    width, height = frame.size
    pixels = frame.load()
    assert pixels is not None
    lines = []
    for y in range(0, height, 2):
        row = []
        for x in range(width):
            top = bool(pixels[x, y])
            bottom = bool(pixels[x, y + 1]) if y + 1 < height else False
            row.append(_BLOCKS[(top, bottom)])
        lines.append("".join(row).rstrip())
    return "\n".join(lines)


class SimDisplay:
    """Keeps the latest frames; with a directory, writes last.png atomically (optionally all)."""

    def __init__(self, directory: Path | None = None, *, keep_all: bool = False,
                 terminal: TextIO | None = None, faults: SimFaults | None = None) -> None:
        self.directory = directory
        self._faults = faults or SimFaults(None)
        self.keep_all = keep_all
        self.terminal = terminal
        # The latest frames only: a daemon on the simulated board runs for days.
        self.frames: deque[Image.Image] = deque(maxlen=KEPT_FRAMES)
        self.shown = 0
        self.closed = False
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height) in pixels."""
        return (WIDTH, HEIGHT)

    @property
    def last(self) -> Image.Image | None:
        """Return the last frame shown."""
        return self.frames[-1] if self.frames else None

    def show(self, image: Image.Image) -> None:
        """Keep the frame (skipping one identical to the last), write PNGs, echo to the terminal."""
        if image.size != self.size:
            raise ValueError(f"frame is {image.size}, display is {self.size}")
        self._faults.check("display")
        frame = image.convert("1")
        if self.frames and self.frames[-1].tobytes() == frame.tobytes():
            return
        self.frames.append(frame)
        self.shown += 1
        if self.directory is not None:
            if self.keep_all:
                frame.save(self.directory / f"frame-{self.shown:06d}.png")
            temp = self.directory / ".last.png.tmp"
            frame.save(temp, format="PNG")
            os.replace(temp, self.directory / "last.png")
        if self.terminal is not None:
            self.terminal.write("\x1b[H\x1b[2J" + block_art(frame) + "\n")
            self.terminal.flush()

    def close(self) -> None:
        """Stop (frames stay readable)."""
        self.closed = True
