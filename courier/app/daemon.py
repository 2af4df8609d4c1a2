"""The daemon: the store and the CogRPC server (with the panel and network when enabled)."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc

from courier.app.sdnotify import notify, watchdog_interval
from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.relay import CargoRelay
from courier.cogrpc.serving import make_server
from courier.cogrpc.tls import tls_identity
from courier.config import Config
from courier.store import FileStore

LOG = logging.getLogger(__name__)


def system_now() -> datetime:
    """Return the system's time (the clock module refines this when the panel is wired)."""
    return datetime.now(UTC)


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
    server: grpc.aio.Server | None = None
    ports: list[int] = field(default_factory=list)

    async def start(self) -> None:
        """Open the store (recovering from any crash) and start serving."""
        settings = self.config.store
        self.store = await asyncio.to_thread(
            FileStore.open, self.data_dir, quota_bytes=settings.quota_bytes,
            quota_fraction=settings.quota_fraction,
            cca_reserve_bytes=settings.cca_reserve_bytes,
            per_sender_fraction=settings.per_sender_fraction)
        key_pem, cert_pem = tls_identity(self.data_dir, self.tls_address)
        relay = CargoRelay(self.store, self.clock, self.counters)
        self.server, self.ports = make_server(relay, self.listen, key_pem, cert_pem,
                                              self.config.server.max_concurrent_calls)
        await self.server.start()
        endpoints = [f"{e.rsplit(':', 1)[0]}:{p}" for e, p in zip(self.listen, self.ports,
                                                                     strict=True)]
        LOG.info("serving CogRPC over TLS on %s (certificate for %s)", ", ".join(endpoints),
                 self.tls_address)

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
        await self.start()
        notify("READY=1\nSTATUS=serving")
        watchdog = asyncio.create_task(self._watchdog())
        try:
            await stop.wait()
        finally:
            notify("STOPPING=1")
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            await self.stop()
        LOG.info("stopped cleanly")
        return 0

    async def _watchdog(self) -> None:
        """Ping systemd from the event loop: a hung loop stops the pings and gets restarted."""
        interval = watchdog_interval()
        if interval is None:
            return
        while True:
            notify("WATCHDOG=1")
            await asyncio.sleep(interval)
