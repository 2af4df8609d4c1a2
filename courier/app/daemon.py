"""The daemon: the store and the CogRPC server (with the panel and network when enabled)."""

import asyncio
import ipaddress
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc

from courier import __version__
from courier.app.board_watch import open_board_retrying, watch_uplink
from courier.app.control import serve, socket_path
from courier.app.device import (
    hotspot_request,
    net_socket,
    open_clock,
    open_store,
    session_settings,
    stop_task,
)
from courier.app.panel_loop import PanelLoop
from courier.app.presence import PresenceWatch
from courier.app.sdnotify import notify, watchdog_interval
from courier.app.status import StatusWriter, first_status
from courier.app.sync_runner import SyncParts, SyncRunner
from courier.app.too_big import publish_too_big
from courier.app.updates import Updates, fetch_offered, install_or_say
from courier.app.upkeep import Upkeep, UpkeepSettings
from courier.clock import TrustedClock, system_now
from courier.clock_rtc import ntp_synchronized
from courier.cogrpc.collect import CollectSettings
from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.relay import CargoRelay
from courier.cogrpc.serving import ServerLimits, make_server, raise_fd_limit
from courier.cogrpc.tls import tls_identity
from courier.config import Config
from courier.panel.session import SessionMachine
from courier.store import FileStore, StoreStats

if TYPE_CHECKING:
    from courier.app.wifi_sync import UplinkHelper
    from courier.net.mdns import CogrpcAdvertiser

LOG = logging.getLogger(__name__)


@dataclass
class Daemon:
    """Owns the store and the server; start() then stop(), or run() until a signal."""

    config: Config
    data_dir: Path
    listen: list[str]
    tls_address: str
    clock: Callable[[], datetime] = system_now
    counters: ServerCounters = field(default_factory=ServerCounters)
    store: FileStore | None = None
    relay: CargoRelay | None = None
    server: grpc.aio.Server | None = None
    ports: list[int] = field(default_factory=list)
    panel: bool = False  # drive the board (button, screen, LEDs) and the session machine
    network: bool = False  # ask courier-net for the hotspot when a session opens
    keyboard: bool = False  # simulated board: button presses typed on standard input
    notices: tuple[str, ...] = ()  # settings to fix, shown on the ready screen
    trusted_clock: TrustedClock | None = None
    wiped: bool = False
    advertiser: "CogrpcAdvertiser | None" = None
    upkeep: Upkeep | None = None
    presence: PresenceWatch | None = None
    writer: StatusWriter | None = None  # the status the screens show, once the panel runs
    syncs: SyncRunner = field(init=False)  # the Internet syncs, once started
    session: SessionMachine | None = None  # the session machine, once the panel runs
    updates: Updates | None = None  # the update helper's offers and this boot's words, once started

    async def start(self) -> None:
        """Open the store (recovering from any crash), reclaim what expired, start serving."""
        clock = self.trusted_clock
        flag = Path(self.config.clock.ntp_flag)
        if clock is None:
            clock = self.trusted_clock = await asyncio.to_thread(open_clock, self.data_dir, flag)
        system = self.clock
        self.clock = lambda: clock.effective_now(system(), time.monotonic())
        self.syncs = SyncRunner(self.config, self.data_dir, self.clock, SyncParts(
            store=lambda: self.store,
            in_hand=lambda: None if self.relay is None else self.relay.in_hand,
            writer=lambda: self.writer, wiped=lambda: self.wiped,
            after=lambda: self.upkeep is not None and self.upkeep.check_network_time(),
            helper=self._helper(),
            hotspot_open=lambda: self.session is not None and self.session.hotspot_open,
            update=lambda: fetch_offered(self.updates, self.config.update,
                                         self.data_dir / "update")))
        self.upkeep = Upkeep(lambda: self.store, clock, system, lambda: ntp_synchronized(flag),
                             UpkeepSettings(
                                 reclaim_every=float(self.config.store.reclaim_interval_seconds),
                                 ntp_check_every=float(self.config.clock.ntp_check_seconds)))
        self.updates = Updates(__version__, self.data_dir / "state",
                               Path(self.config.update.helper_run_dir))
        self.store = await asyncio.to_thread(open_store, self.config, self.data_dir)
        self.store.reclaim_clock = self.clock  # before answering "full", reclaim at this time
        await self.upkeep.reclaim()
        key_pem, cert_pem = tls_identity(self.data_dir, self.tls_address)
        server = self.config.server
        relay = self.relay = CargoRelay(self.store, self.clock, self.counters,
                                        delivery_idle_seconds=server.delivery_idle_seconds,
                                        collect=self._collect_settings(),
                                        **self._clock_hooks(system))
        limits = ServerLimits(
            max_calls=server.max_concurrent_calls,
            max_calls_per_client=server.max_calls_per_client,
            max_streams_per_connection=server.max_streams_per_connection,
            handshake_timeout_seconds=server.handshake_timeout_seconds)
        LOG.info("open-file limit %d", raise_fd_limit())
        self.server, self.ports = make_server(relay, self.listen, key_pem, cert_pem, limits)
        await self.server.start()
        endpoints = [f"{e.rsplit(':', 1)[0]}:{p}" for e, p in zip(self.listen, self.ports,
                                                                     strict=True)]
        LOG.info("serving CogRPC over TLS on %s (certificate for %s)", ", ".join(endpoints),
                 self.tls_address)

    def _helper(self) -> "UplinkHelper | None":
        """Return courier-net's Wi-Fi client verbs (network mode with Wi-Fi uplinks set)."""
        if not (self.network and self.config.uplink.wifi):
            return None
        from courier.app.wifi_wiring import HelperUplink  # noqa: PLC0415 - pyroute2 is slow

        return HelperUplink(net_socket(self.config))

    def _collect_settings(self) -> CollectSettings:
        """Return how CollectCargo serves clients, from [server]."""
        server = self.config.server
        return CollectSettings(
            small_message_agents=server.small_message_agents,
            expiry_margin=timedelta(seconds=server.collect_expiry_margin_seconds),
            default_deadline=server.collect_deadline_seconds)

    def _clock_hooks(self, system: Callable[[], datetime]) -> dict[str, Any]:
        """Return the trusted clock's validation hooks (message dates never move the clock)."""
        clock = self.trusted_clock
        assert clock is not None
        return {"validation_now": lambda created: clock.validation_now(
                    created, system(), time.monotonic()),
                "clock_trusted": lambda: clock.trusted}

    async def stop(self, grace: float = 5.0) -> None:
        """Finish or cancel calls, then close the store; nothing acknowledged is lost."""
        if self.server is not None:
            await self.server.stop(grace)
            self.server = None
        if self.store is not None:
            await asyncio.to_thread(self.store.close)
            self.store = None

    async def run(self) -> int:
        """Serve until SIGTERM or SIGINT; tell systemd when ready and that we are alive."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        if self.panel:
            # Imported before serving (pyroute2 takes ~150 ms here), not beside the first calls.
            import courier.net.uplink  # noqa: F401, PLC0415
        await self.start()
        assert self.upkeep is not None
        advertiser = await self._advertise()
        notify("READY=1\nSTATUS=serving")
        watchdog = asyncio.create_task(self._watchdog())
        upkeep = asyncio.create_task(self.upkeep.run())
        control = await serve(socket_path(self.data_dir), self.syncs.control)
        too_big = asyncio.create_task(publish_too_big(self.counters, self.data_dir))
        assert self.updates is not None
        updates = asyncio.create_task(self.updates.watch())  # this boot's words, in the journal
        panel = asyncio.create_task(self._panel()) if self.panel else None
        try:
            await stop.wait()
        finally:
            notify("STOPPING=1")
            control.close()
            socket_path(self.data_dir).unlink(missing_ok=True)
            await stop_task(panel)
            await stop_task(upkeep)
            await stop_task(watchdog)
            await stop_task(too_big)
            await stop_task(updates)
            if advertiser is not None:
                await advertiser.stop()
            await self.stop()
            self.upkeep.save_clock()  # not after a wipe
        LOG.info("stopped cleanly")
        return 0

    async def _advertise(self) -> "CogrpcAdvertiser | None":
        """Advertise CogRPC over mDNS on the address gateways dial (never on loopback)."""
        if ipaddress.ip_address(self.tls_address).is_loopback:
            return None
        from courier.net.mdns import CogrpcAdvertiser  # noqa: PLC0415

        port = self.ports[0] if self.ports else 21473
        advertiser = CogrpcAdvertiser(self.config.device.name, [self.tls_address], port)
        try:
            await advertiser.start("ready")
        except OSError as error:
            LOG.warning("mDNS advertising failed: %s", error)
            return None
        self.advertiser = advertiser
        return advertiser

    async def _open_session(self) -> None:
        """Open the hotspot and count the session's clients afresh."""
        if self.writer is not None:
            self.writer.session_opened()
        await self._hotspot("open")

    def _store_stats(self) -> StoreStats | None:
        """Return the store's figures (None once wiped)."""
        store = self.store
        return None if store is None else store.stats()

    async def _hotspot(self, verb: str) -> None:
        await hotspot_request(verb, net_socket(self.config) if self.network else None)
        if self.advertiser is not None:
            await self.advertiser.update("session" if verb == "open" else "ready")

    async def _panel(self) -> None:
        """Run the board and the session machine until cancelled."""
        assert self.trusted_clock is not None
        board = await open_board_retrying(self.config, self.data_dir, self.keyboard)
        updates = self.updates
        assert updates is not None
        writer = self.writer = StatusWriter(
            first_status(self.config, self.data_dir, self.trusted_clock, self.notices,
                         __version__),
            self.counters, self.trusted_clock, self._store_stats,
            lambda: self._presence.tracker.stations, updates=updates.facts)
        self.session = SessionMachine(session_settings(self.config, self.network))
        loop = PanelLoop(
            board, self.session, self.trusted_clock,
            writer.status, lambda _status: writer.refresh(), open_hotspot=self._open_session,
            close_hotspot=lambda: self._hotspot("close"), internet_sync=self.syncs.press,
            stop_sync=self.syncs.stop, wipe=self._wipe, activity=self._activity,
            fault=writer.problem, wifi_sync=self.syncs.press_wifi,
            install_update=partial(install_or_say, updates, writer.problem))
        # Reading routes needs no privileges: watched in every mode, so a laptop with configured
        # gateways syncs with them from a press.
        uplink = asyncio.create_task(watch_uplink(
            self.config, lambda: self.store, self.clock, writer.uplink, loop.feed))
        presence = asyncio.create_task(self._presence.run())
        try:
            await loop.run()
        finally:
            await stop_task(presence)
            await stop_task(uplink)
            await asyncio.to_thread(board.close)

    @property
    def _presence(self) -> PresenceWatch:
        """Return who is on the hotspot, watched for the session's idle close."""
        if self.presence is None:
            self.presence = PresenceWatch(self.ports[0] if self.ports else 21473,
                                          Path(self.config.session.net_run_dir),
                                          self.config.hotspot.interface)
        return self.presence

    def _activity(self) -> float:
        """Return when a gateway was last active: a gRPC call, or someone on the hotspot."""
        return max(self.counters.snapshot().last_activity, self._presence.last_seen)

    async def _wipe(self) -> None:
        """Panic wipe: stop serving, crypto-erase the store, forget the saved time."""
        LOG.warning("panic wipe requested from the button")
        await self.syncs.stop()  # nothing may write to the store being deleted
        if self.upkeep is not None:
            self.upkeep.stopped = True
        if self.server is not None:
            await self.server.stop(0)
            self.server = None
        if self.store is not None:
            await asyncio.to_thread(self.store.wipe)
            self.store = None
        if self.trusted_clock is not None:
            self.trusted_clock.forget()
        self.wiped = True
        LOG.warning("store wiped: the key is destroyed and the data deleted")

    async def _watchdog(self) -> None:
        """Ping systemd from the event loop: a hung loop stops the pings and gets restarted."""
        interval = watchdog_interval()
        if interval is None:
            return
        while True:
            notify("WATCHDOG=1")
            await asyncio.sleep(interval)
