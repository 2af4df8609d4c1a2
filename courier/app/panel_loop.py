"""The panel pump: button edges to gestures to session events; session actions to the device."""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import assert_never

from PIL import Image

from courier.clock import TrustedClock
from courier.errors import HardwareError
from courier.panel.button import ButtonClassifier, Gesture, session_event
from courier.panel.leds import activity_led_on, status_led_on
from courier.panel.ports import Board
from courier.panel.present import DeviceStatus, view_for
from courier.panel.screens import render
from courier.panel.session import SessionMachine
from courier.panel.session_types import (
    Action,
    ClientActivity,
    ClockChanged,
    CloseHotspot,
    Event,
    FaultChanged,
    InstallUpdate,
    InternetSyncFinished,
    LedPattern,
    NoWifiInRange,
    OpenHotspot,
    PowerOn,
    Screen,
    SetStatusLed,
    ShowScreen,
    StartInternetSync,
    StartWifiSync,
    State,
    StopInternetSync,
    StorageChanged,
    Tick,
    UpdateFinished,
    UpdateOffered,
    WipeFinished,
    WipeStore,
)
from courier.panel.views import View

LOG = logging.getLogger(__name__)
BUTTON_CHECK_SECONDS = 5.0  # how often the button's pin is read to prove it still answers
STUCK_SECONDS = 120.0  # held down longer than any gesture: shorted, wet or jammed
Hook = Callable[[], Awaitable[None]]
StatusSource = Callable[[DeviceStatus], DeviceStatus]
WifiSync = Callable[[], Awaitable[bool | None]]  # True synced, False failed, None none in range
InstallHook = Callable[[str], Awaitable[bool]]  # True: the helper reboots into it


async def _no_wifi() -> bool | None:
    """Stand in for a daemon without Wi-Fi uplinks (the machine never asks then)."""
    return None


async def _no_updater(version: str) -> bool:
    """Stand in for a device without an update helper: nothing is installed."""
    LOG.warning("update: no updater on this device; %s not installed", version)
    return False


class PanelLoop:
    """Runs the session state machine against a board; the daemon supplies the hooks."""

    def __init__(self, board: Board, machine: SessionMachine, clock: TrustedClock,
                 status: DeviceStatus, refresh: StatusSource, *, open_hotspot: Hook,
                 close_hotspot: Hook, internet_sync: Callable[[], Awaitable[bool]],
                 stop_sync: Hook, wipe: Hook, activity: Callable[[], float],
                 fault: Callable[[str], None] = lambda _detail: None,
                 wifi_sync: WifiSync = _no_wifi, install_update: InstallHook = _no_updater) -> None:
        self.board, self.machine, self.clock = board, machine, clock
        self.status, self._refresh = status, refresh
        self._hooks = {"open": open_hotspot, "close": close_hotspot, "wipe": wipe,
                       "stop": stop_sync}
        self._fault_detail = fault  # the status writer's problem detail
        self._faults: dict[str, str] = {}  # part of the board -> how it failed while running
        self._button_checked = float("-inf")
        self._pressed_since: float | None = None
        self._sync_stopped = False  # a wipe stopped the sync: its end is no news
        self._internet_sync, self._wifi_sync = internet_sync, wifi_sync
        self._install_update = install_update
        self._activity = activity
        self._classifier = ButtonClassifier()
        self._pattern = LedPattern.OFF
        self._screen = Screen.READY
        self._events: asyncio.Queue[tuple[bool, float]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._last_activity = 0.0
        self._last_view: View | None = None
        self._last_frame: bytes | None = None

    async def run(self) -> None:
        """Pump until cancelled."""
        loop = asyncio.get_running_loop()

        def on_edge(pressed: bool, at: float) -> None:  # may run on a driver thread
            loop.call_soon_threadsafe(self._events.put_nowait, (pressed, at))
        self._part("button", lambda: self.board.button.start(on_edge))
        self.status = self._refresh(self.status)
        await self._act(self.machine.handle(PowerOn(
            clock_trusted=self.clock.trusted, storage_full=self._full()), time.monotonic()))
        try:
            while True:
                with contextlib.suppress(TimeoutError):
                    pressed, at = await asyncio.wait_for(self._events.get(), self._wait())
                    self._pressed_since = at if pressed else None
                    await self._gestures(self._classifier.edge(pressed, at))
                await self._tick()
        finally:
            for task in self._tasks:
                task.cancel()

    def _wait(self) -> float:
        """Return how long to sleep: until the next button deadline, or 0.2 s for the LEDs."""
        now = time.monotonic()
        deadline = self._classifier.next_deadline()
        return 0.2 if deadline is None else max(0.0, min(0.2, deadline - now))

    async def _tick(self) -> None:
        now = time.monotonic()
        await self._gestures(self._classifier.tick(now))
        self.status = self._refresh(self.status)
        if self.status.used_bytes and self._full() != self.machine.storage_full:
            await self.feed(StorageChanged(full=self._full()))
        if self.clock.trusted != self.machine.clock_trusted:  # NTP or an RTC seen while running
            await self.feed(ClockChanged(trusted=self.clock.trusted))
        self._check_button(now)
        if bool(self._faults) != self.machine.fault:
            self._fault_detail(next(iter(self._faults.values()), ""))
            await self.feed(FaultChanged(active=bool(self._faults)))
        offered = (self.status.update_offer or None, self.status.update_serial)
        if offered != (self.machine.update_offer, self.machine.update_serial):
            await self.feed(UpdateOffered(*offered))
        activity = self._activity()
        if activity > self._last_activity:
            self._last_activity = activity
            await self.feed(ClientActivity())
        await self.feed(Tick())
        self._draw(now)

    def _full(self) -> bool:
        quota = self.status.quota_bytes
        return bool(quota) and self.status.used_bytes >= 0.98 * quota

    async def _gestures(self, gestures: list[Gesture]) -> None:
        for gesture in gestures:
            event = session_event(gesture)
            if event is not None:
                LOG.info("button: %s", gesture.kind)
                await self.feed(event)

    async def feed(self, event: Event) -> None:
        """Give the machine an event and carry out what it asks."""
        await self._act(self.machine.handle(event, time.monotonic()))

    async def _act(self, actions: list[Action]) -> None:
        wiped = False
        for action in actions:
            match action:
                case ShowScreen(screen=screen):
                    self._screen = screen
                case SetStatusLed(pattern=pattern):
                    if pattern is not self._pattern:
                        LOG.info("status LED: %s", pattern.value)
                    self._pattern = pattern
                case OpenHotspot():
                    await self._hooks["open"]()
                case CloseHotspot():
                    await self._hooks["close"]()
                case StartInternetSync() | StartWifiSync() | InstallUpdate():
                    self._start(action)
                case StopInternetSync():
                    self._sync_stopped = True
                    await self._hooks["stop"]()  # returns once the sync has stopped
                case WipeStore():
                    await self._hooks["wipe"]()
                    wiped = True  # answered once this batch (the wiping screen) is done
                case _:
                    assert_never(action)
        self._draw(time.monotonic())
        if wiped:
            await self.feed(WipeFinished())

    def _start(self, action: StartInternetSync | StartWifiSync | InstallUpdate) -> None:
        """Start background work that answers with an event (a sync, an install)."""
        match action:
            case StartInternetSync():
                self._sync_stopped = False
                self._spawn(self._sync(self._internet_sync))
            case StartWifiSync():
                self._sync_stopped = False
                self._spawn(self._sync(self._wifi_sync))
            case InstallUpdate(version=version):
                self._spawn(self._install(version))
            case _:
                assert_never(action)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sync(self, sync: WifiSync) -> None:
        """Run an Internet sync; a sync stopped on purpose (a wipe) reports nothing."""
        try:
            ok = await sync()
        except asyncio.CancelledError:
            raise
        except Exception:
            LOG.exception("Internet sync failed")
            ok = False
        if not self._sync_stopped:
            await self.feed(NoWifiInRange() if ok is None else InternetSyncFinished(ok=ok))

    async def _install(self, version: str) -> None:
        """Have the update helper install `version`; a failing hook counts as a failed install."""
        LOG.info("update: installing %s", version)
        try:
            ok = await self._install_update(version)
        except asyncio.CancelledError:
            raise
        except Exception:
            LOG.exception("update: installing %s failed", version)
            ok = False
        await self.feed(UpdateFinished(ok=ok))

    def _closes_in(self, now: float) -> float | None:
        """Return the seconds before the session's idle close (None: always open, no session)."""
        deadline = self.machine.next_deadline()
        if self.machine.state is not State.HOTSPOT or deadline is None:
            return None
        return 60.0 * math.ceil(max(0.0, deadline - now) / 60)  # the screen shows minutes

    def _draw(self, now: float) -> None:
        """Show the current screen (only when it changed) and drive the LEDs."""
        remaining = self._classifier.countdown_remaining(now)
        status = replace(self.status, wipe_remaining=remaining, problem=self.machine.problem,
                         wipe_total=self._classifier.timing.wipe_countdown,
                         closes_in=self._closes_in(now))
        if self.board.display is not None:
            # Drawing text costs milliseconds (more on a Pi): only a view that changed is drawn.
            view = view_for(self._screen, status)
            if view != self._last_view:
                self._last_view = view
                image = render(view)
                frame = image.tobytes()
                if frame != self._last_frame:  # e.g. a countdown whose rounding did not move
                    self._last_frame = frame
                    self._show(image)
        status_on = status_led_on(self._pattern, now)
        self._part("status LED", lambda: self.board.status_led.set(status_on))
        activity_on = activity_led_on(self._last_activity or None, now)
        self._part("activity LED", lambda: self.board.activity_led.set(activity_on))

    def _show(self, image: Image.Image) -> None:
        """Show a frame; a display failing while running becomes a fault (the LED says SOS)."""
        display = self.board.display
        assert display is not None
        self._part("display", lambda: display.show(image))
        if "display" in self._faults:
            self._last_view = self._last_frame = None  # drawn again next tick: it may be back

    def _check_button(self, now: float) -> None:
        """Read the button's pin now and then: a pin that fails or stays down is a fault."""
        if now - self._button_checked >= BUTTON_CHECK_SECONDS:
            self._button_checked = now
            self._part("button", self.board.button.is_pressed)
        if self._pressed_since is not None and now - self._pressed_since > STUCK_SECONDS:
            self._failed("button", f"held down for over {STUCK_SECONDS:.0f} s: stuck?")

    def _part(self, part: str, use: Callable[[], object]) -> None:
        """Use a part of the board; a failure becomes a fault until the part works again."""
        try:
            use()
        except HardwareError as error:
            self._failed(part, str(error))
        else:
            stuck = part == "button" and self._pressed_since is not None
            if part in self._faults and not stuck:
                LOG.warning("%s works again", part)
                del self._faults[part]

    def _failed(self, part: str, why: str) -> None:
        """Record a part's failure (logged once; the problem screen shows its detail)."""
        if part not in self._faults:
            LOG.error("%s failed: %s", part, why)
        self._faults[part] = f"{part}: {why}"
