"""hw.sim: scripted and keyboard button, LED history, PNG frames and a terminal preview."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image

import hw
from courier.panel.button import ButtonClassifier, ButtonTiming, GestureKind
from courier.panel.ports import BoardSettings
from courier.panel.screens import render
from hw.sim.display import KEPT_FRAMES, SimDisplay, block_art
from hw.sim.parts import KEPT_CHANGES, KeyboardButton, SimButton, SimLed
from tests.panel.golden_views import GOLDEN


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def classify(edges: list[tuple[bool, float]], timing: ButtonTiming) -> list[GestureKind]:
    classifier = ButtonClassifier(timing)
    kinds = []
    for pressed, at in edges:
        kinds += [g.kind for g in classifier.edge(pressed, at)]
    end = edges[-1][1] + 60 if edges else 0
    return kinds + [g.kind for g in classifier.tick(end)]


def test_scripted_taps_with_bounce() -> None:
    button = SimButton()
    edges: list[tuple[bool, float]] = []
    button.start(lambda pressed, at: edges.append((pressed, at)))
    button.tap(1.0, 0.2, bounce=(0.002, 0.004))
    button.tap(5.0, 2.0)
    assert len(edges) == 6 + 2
    assert classify(edges, ButtonTiming()) == [GestureKind.SHORT, GestureKind.LONG]
    button.close()
    button.set_level(True, 9.0)
    assert len(edges) == 8


def test_keyboard_lines_become_gestures() -> None:
    timing = ButtonTiming()
    clock = FakeTime()
    button = SimButton(clock)
    edges: list[tuple[bool, float]] = []
    button.start(lambda pressed, at: edges.append((pressed, at)))
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "r") as reader:
        keyboard = KeyboardButton(button, reader, timing, clock)
        keyboard.start()
        with os.fdopen(write_fd, "w") as writer:
            writer.write("\nl\nw\nhelp\n")
        keyboard.join(timeout=10)
    assert classify(edges, timing) == [
        GestureKind.SHORT, GestureKind.LONG, GestureKind.WIPE_ARMED, GestureKind.WIPE_READY,
        GestureKind.WIPE_CONFIRMED]


def test_led_history_has_times() -> None:
    clock = FakeTime()
    led = SimLed("status", clock)
    led.set(True)
    clock.now = 100.5
    led.set(True)
    led.set(False)
    assert [(c.at, c.on) for c in led.history] == [(100.0, True), (100.5, False)]
    led.set(True)
    led.close()
    assert not led.on


def test_display_writes_last_and_every_frame(tmp_path: Path) -> None:
    display = SimDisplay(tmp_path / "frames", keep_all=True)
    first, second = render(GOLDEN["ready"]), render(GOLDEN["session"])
    for frame in (first, second, second.copy()):
        display.show(frame)
    names = sorted(os.listdir(tmp_path / "frames"))
    assert names == ["frame-000001.png", "frame-000002.png", "last.png"]
    with Image.open(tmp_path / "frames" / "last.png") as last:
        assert last.convert("1").tobytes() == second.tobytes()
    with pytest.raises(ValueError, match="frame is"):
        display.show(Image.new("1", (10, 10)))
    display.close()


def test_terminal_preview() -> None:
    terminal = io.StringIO()
    display = SimDisplay(terminal=terminal)
    display.show(render(GOLDEN["wiped"]))
    art = block_art(render(GOLDEN["wiped"]))
    lines = art.split("\n")
    assert len(lines) == 32 and max(len(line) for line in lines) <= 128
    assert set(art) <= {" ", "\n", "\u2580", "\u2584", "\u2588"} and "\u2588" in art
    assert art in terminal.getvalue()


def test_sim_board_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    board = hw.open_board("sim", BoardSettings(sim_dir=str(tmp_path), sim_keep_frames=True,
                                               sim_preview=True))
    assert board.display is not None
    board.display.show(render(GOLDEN["wiped"]))
    board.close()
    assert sorted(os.listdir(tmp_path)) == ["frame-000001.png", "last.png"]
    assert "\u2588" in capsys.readouterr().out


def test_the_simulated_display_keeps_only_the_latest_frames() -> None:
    display = SimDisplay()
    for value in range(KEPT_FRAMES + 10):
        image = Image.new("1", display.size)
        image.putpixel((value % 128, value // 128), 1)
        display.show(image)
    assert display.shown == KEPT_FRAMES + 10 and len(display.frames) == KEPT_FRAMES
    assert display.last is not None and display.last.getpixel(((KEPT_FRAMES + 9) % 128, 2)) != 0


def test_a_simulated_led_keeps_only_its_latest_changes() -> None:
    ticks = iter(range(10 * KEPT_CHANGES))
    led = SimLed("status", clock=lambda: float(next(ticks)))
    for value in range(KEPT_CHANGES + 10):
        led.set(value % 2 == 0)
    assert len(led.history) == KEPT_CHANGES
    assert led.history[-1].at == float(KEPT_CHANGES + 9) and led.on is False
