"""The device around the server: board, clock, session machine, hotspot requests, wipe."""

import asyncio
import contextlib
import logging
import sys
import time
from dataclasses import replace
from pathlib import Path

import hw
from courier.clock import TrustedClock, system_now
from courier.clock_rtc import ntp_synchronized, read_rtc
from courier.config import Config
from courier.errors import CourierError
from courier.panel.ports import Board, BoardSettings
from courier.panel.session import SessionSettings
from courier.store import FileStore

LOG = logging.getLogger(__name__)


def open_store(config: Config, data_dir: Path) -> FileStore:
    """Open the store with the configured quota (the one owner: the store is locked)."""
    settings = config.store
    return FileStore.open(data_dir, quota_bytes=settings.quota_bytes,
                          quota_fraction=settings.quota_fraction,
                          cca_reserve_bytes=settings.cca_reserve_bytes,
                          per_sender_fraction=settings.per_sender_fraction)


def open_clock(data_dir: Path, ntp_flag: Path) -> TrustedClock:
    """Load the saved lower bound of time and set it from the RTC and NTP when available."""
    monotonic = time.monotonic()
    clock = TrustedClock.load(data_dir / "state", monotonic)
    rtc = read_rtc()
    if rtc is not None:
        clock.observe_rtc(rtc, monotonic)
    if ntp_synchronized(ntp_flag):
        clock.observe_network(system_now(), monotonic)
    LOG.info("clock: %s (source %s)", "trusted" if clock.trusted else "untrusted", clock.source)
    return clock


def open_board(config: Config, data_dir: Path, keyboard: bool) -> Board:
    """Open the configured board; the simulator writes its frames under <data dir>/sim."""
    name = hw.backend_name(config.device.hardware)
    sim_dir = data_dir / "sim"
    if name == "sim":
        sim_dir.mkdir(parents=True, exist_ok=True)
    settings = replace(BoardSettings.from_config(config.panel, sim_dir=str(sim_dir)),
                       sim_preview=keyboard and sys.stdout.isatty())
    board = hw.open_board(name, settings)
    if keyboard and name == "sim":
        from hw.sim.parts import KeyboardButton, SimButton  # noqa: PLC0415

        assert isinstance(board.button, SimButton)
        KeyboardButton(board.button, sys.stdin).start()
        LOG.info("simulated button: Enter = short press, l = long press, w = panic wipe")
    return board


def net_socket(config: Config) -> Path:
    """Return the privileged helper's (courier-net's) control socket."""
    return Path(config.session.net_run_dir) / "control.sock"


async def hotspot_request(verb: str, socket: Path | None) -> None:
    """Ask the privileged helper to open or close the hotspot (no-op without network)."""
    if socket is None:
        LOG.info("hotspot %s (no-network mode: CogRPC keeps serving on its listen address)",
                 "open" if verb == "open" else "closed")
        return
    from courier.net.netsetup import request  # noqa: PLC0415

    try:
        await request(socket, verb)
    except CourierError as error:
        LOG.error("hotspot %s failed: %s", verb, error)


async def stop_task(task: "asyncio.Task[None] | None") -> None:
    """Cancel a task and wait for it."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def session_settings(config: Config, network: bool = True) -> SessionSettings:
    """Return the session machine's settings (Wi-Fi uplinks need the helper: network mode)."""
    wifi = network and bool(config.uplink.wifi)
    if wifi and config.session.always_open:
        LOG.warning("Wi-Fi uplinks are set but the hotspot is always open: a press never closes "
                    "it for Wi-Fi, so they are not used (use a cable, or always_open = false)")
    return SessionSettings(idle_close_seconds=float(config.session.idle_close_seconds),
                           always_open=config.session.always_open, wifi_uplink=wifi)



