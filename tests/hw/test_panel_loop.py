"""The pure pieces pumped together on the simulated board, as the daemon will do it."""

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

import hw
from courier.app import panel_loop
from courier.app.panel_loop import PanelLoop
from courier.clock import TrustedClock
from courier.panel.button import ButtonClassifier, Gesture, session_event
from courier.panel.leds import status_led_on
from courier.panel.ports import Board, BoardSettings
from courier.panel.present import DeviceStatus, view_for
from courier.panel.qr import wifi_payload
from courier.panel.screens import render
from courier.panel.session import SessionMachine, SessionSettings
from courier.panel.session_types import (
    Action,
    CloseHotspot,
    LedPattern,
    LongPress,
    OpenHotspot,
    PowerOn,
    Problem,
    SetStatusLed,
    ShowScreen,
    State,
    Tick,
)
from courier.panel.views import ProblemView, UpdateOfferView, View
from hw.sim.display import SimDisplay
from hw.sim.parts import SimButton, SimLed

STATUS = DeviceStatus("courier", datetime(2026, 11, 24, tzinfo=UTC), True, "network",
                      ssid="Courier-K7QX", passphrase="hmtw-3kpa-9xce-ruvf")


class Pump:
    """A synchronous stand-in for the daemon's loop."""

    def __init__(self) -> None:
        self.board = hw.open_board("sim", BoardSettings())
        self.machine = SessionMachine(SessionSettings(idle_close_seconds=60))
        self.classifier = ButtonClassifier()
        self.done: list[Action] = []
        self.pattern = LedPattern.OFF
        self.board.button.start(self.edge)

    def edge(self, pressed: bool, at: float) -> None:
        self.gestures(self.classifier.edge(pressed, at), at)

    def tick(self, now: float) -> None:
        self.gestures(self.classifier.tick(now), now)
        self.act(self.machine.handle(Tick(), now), now)

    def gestures(self, gestures: list[Gesture], now: float) -> None:
        for gesture in gestures:
            event = session_event(gesture)
            if event is not None:
                self.act(self.machine.handle(event, now), now)

    def act(self, actions: list[Action], now: float) -> None:
        for action in actions:
            self.done.append(action)
            if isinstance(action, ShowScreen) and self.board.display is not None:
                self.board.display.show(render(view_for(action.screen, STATUS)))
            if isinstance(action, SetStatusLed):
                self.pattern = action.pattern
        self.board.status_led.set(status_led_on(self.pattern, now))


def state_of(machine: SessionMachine) -> State:
    """Return the machine's state as read now (mypy would keep an earlier narrowing)."""
    return machine.state


def fault_of(machine: SessionMachine) -> bool:
    """Return whether the machine shows a fault now (as state_of, past mypy's narrowing)."""
    return machine.fault


def test_a_press_on_the_sim_board_opens_a_session_shown_as_a_qr_code() -> None:
    pump = Pump()
    pump.act(pump.machine.handle(PowerOn(clock_trusted=True), 0.0), 0.0)
    button = pump.board.button
    assert isinstance(button, SimButton)
    button.tap(10.0, 0.2, bounce=(0.003,))
    pump.tick(11.0)
    assert state_of(pump.machine) is State.HOTSPOT and OpenHotspot() in pump.done
    display = pump.board.display
    assert isinstance(display, SimDisplay) and display.last is not None
    decoded = [r.text for r in zxingcpp.read_barcodes(display.last.convert("L"))]
    assert decoded == [wifi_payload(STATUS.ssid, STATUS.passphrase)]
    pump.tick(11.0 + 60)
    assert state_of(pump.machine) is State.IDLE and pump.done[-3] == CloseHotspot()
    led = pump.board.status_led
    assert isinstance(led, SimLed) and [c.on for c in led.history][:1] == [True]
    pump.board.close()


def test_the_daemon_loop_draws_a_screen_only_when_what_it_shows_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    board = hw.open_board("sim", BoardSettings())
    rendered: list[View] = []

    def counting(view: View) -> Image.Image:
        rendered.append(view)
        return render(view)
    monkeypatch.setattr(panel_loop, "render", counting)

    async def nothing() -> None:
        return None

    async def no_sync() -> bool:
        return False
    loop = PanelLoop(board, SessionMachine(SessionSettings()), TrustedClock(tmp_path), STATUS,
                     lambda status: status, open_hotspot=nothing, close_hotspot=nothing,
                     internet_sync=no_sync, stop_sync=nothing, wipe=nothing,
                     activity=lambda: 0.0)
    for now in range(5):
        loop._draw(float(now))
    assert len(rendered) == 1
    loop.status = replace(STATUS, cargo_to_internet=3)
    loop._draw(5.0)
    loop._draw(6.0)
    display = board.display
    assert isinstance(display, SimDisplay)
    assert len(rendered) == 2 and len(display.frames) == 2


@pytest.mark.timeout(30)
def test_a_display_failing_while_running_is_shown_as_a_fault(tmp_path: Path) -> None:
    import asyncio  # noqa: PLC0415

    from courier.errors import HardwareError  # noqa: PLC0415

    board = hw.open_board("sim", BoardSettings())
    display = board.display
    assert isinstance(display, SimDisplay)
    details: list[str] = []

    async def nothing() -> None:
        return None

    async def no_sync() -> bool:
        return False

    async def scenario() -> None:
        clock = TrustedClock(tmp_path)
        clock.observe_network(datetime(2026, 11, 24, tzinfo=UTC), 0.0)
        loop = PanelLoop(board, SessionMachine(SessionSettings()), clock, STATUS,
                         lambda status: status, open_hotspot=nothing, close_hotspot=nothing,
                         internet_sync=no_sync, stop_sync=nothing, wipe=nothing,
                         activity=lambda: 0.0, fault=details.append)
        await loop.feed(PowerOn(clock_trusted=True))
        unplugged = HardwareError("no /dev/i2c-1: is the display plugged in?")

        def fail(_image: Image.Image) -> None:
            raise unplugged
        show, display.show = display.show, fail  # type: ignore[method-assign,assignment]
        await loop.feed(LongPress())  # a new screen to draw: the display fails
        await loop._tick()
        assert state_of(loop.machine) is State.ERROR and loop.machine.fault
        assert details[-1].startswith("display: no /dev/i2c-1")
        display.show = show  # type: ignore[method-assign]
        await loop._tick()  # nothing new to show: the frame that failed is drawn again
        await loop._tick()
        assert not fault_of(loop.machine) and details[-1] == ""
    asyncio.run(scenario())
    board.close()


def test_a_button_held_down_past_every_gesture_is_a_fault_until_released(tmp_path: Path) -> None:
    import asyncio  # noqa: PLC0415

    board = hw.open_board("sim", BoardSettings())
    details: list[str] = []

    async def nothing() -> None:
        return None

    async def no_sync() -> bool:
        return False

    async def scenario() -> None:
        loop = PanelLoop(board, SessionMachine(SessionSettings()), TrustedClock(tmp_path), STATUS,
                         lambda status: status, open_hotspot=nothing, close_hotspot=nothing,
                         internet_sync=no_sync, stop_sync=nothing, wipe=nothing,
                         activity=lambda: 0.0, fault=details.append)
        await loop.feed(PowerOn(clock_trusted=True))
        loop._pressed_since = 100.0  # what the pump records on a press edge
        loop._check_button(100.0 + panel_loop.STUCK_SECONDS / 2)
        assert not loop._faults  # a long press, not yet a fault
        loop._check_button(100.0 + panel_loop.STUCK_SECONDS + 1)
        assert loop._faults["button"].startswith("button: held down")
        loop._pressed_since = None  # released: the next read of the pin clears it
        loop._check_button(100.0 + panel_loop.STUCK_SECONDS + 1 + panel_loop.BUTTON_CHECK_SECONDS)
        assert not loop._faults
    asyncio.run(scenario())
    board.close()


OFFERED = replace(STATUS, version="0.1.0", update_offer="0.1.1", update_source="USB stick")


def update_loop(tmp_path: Path, board: Board, install: panel_loop.InstallHook) -> PanelLoop:
    """Return a panel loop with a trusted clock whose status offers 0.1.1 from a USB stick."""
    async def nothing() -> None:
        return None

    async def no_sync() -> bool:
        return False
    clock = TrustedClock(tmp_path)
    clock.observe_network(datetime(2026, 11, 24, tzinfo=UTC), 0.0)
    return PanelLoop(board, SessionMachine(SessionSettings()), clock, OFFERED,
                     lambda status: status, open_hotspot=nothing, close_hotspot=nothing,
                     internet_sync=no_sync, stop_sync=nothing, wipe=nothing,
                     activity=lambda: 0.0, install_update=install)


@pytest.mark.timeout(30)
def test_an_offered_update_is_installed_by_holding_the_button(tmp_path: Path) -> None:
    import asyncio  # noqa: PLC0415
    import time  # noqa: PLC0415

    board = hw.open_board("sim", BoardSettings())
    display, button = board.display, board.button
    assert isinstance(display, SimDisplay) and isinstance(button, SimButton)
    asked: list[str] = []

    async def refused(version: str) -> bool:
        asked.append(version)
        return False

    async def until(done: Callable[[], bool]) -> None:
        async def poll() -> None:
            while not done():
                await asyncio.sleep(0.02)
        await asyncio.wait_for(poll(), 10)  # fail fast, not at the test's timeout

    async def scenario() -> None:
        loop = update_loop(tmp_path, board, refused)
        running = asyncio.create_task(loop.run())
        await until(lambda: loop.machine.state is State.UPDATE_OFFER)
        await until(lambda: display.last is not None and display.last.tobytes() == render(
            UpdateOfferView("0.1.0", "0.1.1", "USB stick")).tobytes())
        now = time.monotonic()  # held 2 s, released just now: a long press
        button.tap(now - 2.0, 2.0)
        await until(lambda: loop.machine.state is State.ERROR)
        assert asked == ["0.1.1"] and loop.machine.problem is Problem.UPDATE_FAILED
        await until(lambda: display.last is not None and display.last.tobytes() == render(
            ProblemView(Problem.UPDATE_FAILED)).tobytes())
        await asyncio.sleep(0.3)  # the same offer is not shown again (dismissed when it failed)
        assert loop.machine.state is State.ERROR
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
    asyncio.run(scenario())
    board.close()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("outcome", ["raises", "default"])
def test_an_install_hook_that_fails_or_is_missing_is_a_failed_update(
        tmp_path: Path, outcome: str) -> None:
    import asyncio  # noqa: PLC0415

    board = hw.open_board("sim", BoardSettings())

    async def broken(_version: str) -> bool:
        raise OSError("no helper socket")

    async def scenario() -> None:
        loop = update_loop(tmp_path, board, broken)
        if outcome == "default":
            loop._install_update = panel_loop._no_updater
        await loop.feed(PowerOn(clock_trusted=True))
        await loop._tick()
        assert loop.machine.state is State.UPDATE_OFFER
        await loop.feed(LongPress())
        await until_idle(loop)
        assert state_of(loop.machine) is State.ERROR
        assert loop.machine.problem is Problem.UPDATE_FAILED
    asyncio.run(scenario())
    board.close()


async def until_idle(loop: PanelLoop) -> None:
    """Wait until the loop's background tasks (syncs, installs) are done."""
    import asyncio  # noqa: PLC0415

    while loop._tasks:
        await asyncio.gather(*loop._tasks)
