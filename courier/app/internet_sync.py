"""One Internet sync: each gateway with cargo or CCAs waiting, a few at a time, on a given store."""

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from courier.app.retry_book import RetryBook
from courier.app.sync_outcome import record, slow_uplink_note
from courier.cogrpc.budget import ByteBudget
from courier.config import Config, parse_endpoint
from courier.store import CargoStore, Kind

CALL_TIMEOUT = 20.0  # our own deadline per call; the production gateway cuts at 5 s anyway


@dataclass(frozen=True)
class Progress:
    """Where one gateway's sync is."""

    gateway: str
    phase: str  # resolving, delivering, waiting, collecting, done, failed
    items_done: int = 0
    items_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0


@dataclass
class GatewayReport:
    """What happened with one Internet gateway."""

    address: str
    delivered: int = 0
    undelivered: int = 0
    collected: int = 0
    rejected: int = 0
    ccas_used: int = 0
    ccas_kept: int = 0
    ccas_dropped: int = 0
    calls: int = 0
    cuts: int = 0
    too_big: list[int] = field(default_factory=list)  # sizes kept: the uplink is too slow
    rate: float | None = None  # bytes/s measured from acks
    error: str | None = None

    @property
    def too_big_note(self) -> str | None:
        """Return "uplink too slow for 1 cargo of 8.4 MB" (or None)."""
        return slow_uplink_note(self.too_big)

    @property
    def ok(self) -> bool:
        """Tell whether everything went through (CCAs left for later visits are normal)."""
        return self.error is None and self.undelivered == 0 and not self.too_big


@dataclass
class SyncReport:
    """The reports of every gateway; true when all went well."""

    gateways: list[GatewayReport] = field(default_factory=list)

    def __bool__(self) -> bool:
        return all(g.ok for g in self.gateways)


@dataclass(frozen=True)
class SyncOptions:
    """How to reach gateways and how long calls may be."""

    overrides: Mapping[str, str] = field(default_factory=dict)
    ca_pem: bytes | None = None
    reply_wait: float = 10.0
    concurrency: int = 4
    nameserver: tuple[str, int] | None = None
    timeout: float = CALL_TIMEOUT
    call_budget: float = 3.5  # seconds each delivery call aims for (PROTOCOL.md section 10)


async def run_sync(  # noqa: PLR0917 - the call shape agreed with the daemon's control socket
        store: CargoStore, state_dir: Path, options: SyncOptions, now: Callable[[], datetime],
        progress: Callable[[Progress], None] | None = None,
        budget: ByteBudget | None = None) -> SyncReport:
    """Sync every Internet gateway that has cargo or CCAs waiting; never opens the store."""
    from courier.app.gateway_sync import GatewaySync  # noqa: PLC0415 - grpc loaded on use

    book = await asyncio.to_thread(RetryBook, Path(state_dir) / "cca-retry.json")
    addresses = await asyncio.to_thread(by_priority, store, now(), options.overrides)
    slots = asyncio.Semaphore(options.concurrency)
    # Cargo read for delivery counts against the same bytes as the CogRPC server's (shared).
    shared = budget if budget is not None else ByteBudget(24 * 1024 * 1024)

    async def one(address: str) -> GatewayReport:
        async with slots:
            return await GatewaySync(store, address, options, book, now=now,
                                     progress=progress or (lambda _p: None), budget=shared).run()

    reports = await asyncio.gather(*(one(address) for address in addresses))
    await asyncio.to_thread(book.save)
    return SyncReport(list(reports))


def by_priority(store: CargoStore, now: datetime, configured: Mapping[str, str]) -> list[str]:
    """Return the addresses to sync, likeliest real first, so made-up ones delay nobody.

    Anybody on the hotspot can leave CCAs for made-up addresses (each costs a DNS lookup of up
    to 5 s): configured gateways go first, then those with cargo to deliver, then those with
    CCAs from the most private gateways.
    """
    def rank(address: str) -> tuple[bool, bool, int, str]:
        cargo = store.select_for_address(address, now, Kind.CARGO)
        senders = {c.meta.sender_id for c in store.select_for_address(address, now, Kind.CCA)}
        return (address not in configured, not cargo, -len(senders), address)
    return sorted(store.internet_addresses(now), key=rank)


def options_from(config: Config, request: Mapping[str, Any] | None = None) -> SyncOptions:
    """Return the sync options: the configuration's, with a request's overrides on top."""
    request = request or {}
    internet = config.internet
    overrides = {**internet.gateways, **dict(request.get("gateways") or {})}
    ca_pem = request.get("ca_pem")
    if ca_pem is None and internet.ca_file:
        ca_pem = Path(internet.ca_file).read_text()
    reply_wait = request.get("reply_wait")
    dns = request.get("dns")
    return SyncOptions(
        overrides=overrides, ca_pem=ca_pem.encode() if ca_pem else None,
        reply_wait=internet.reply_wait_seconds if reply_wait is None else float(reply_wait),
        concurrency=internet.concurrency, nameserver=parse_endpoint(dns) if dns else None,
        timeout=float(request.get("timeout") or CALL_TIMEOUT),
        call_budget=float(request.get("call_budget") or SyncOptions.call_budget))


def report_lines(report: SyncReport) -> list[dict[str, Any]]:
    """Return the report as JSON-ready dicts (what the control socket sends)."""
    return [{**dataclasses.asdict(g), "ok": g.ok, "too_big_note": g.too_big_note}
            for g in report.gateways]


async def sync_with(  # noqa: PLR0917 - the daemon's and the CLI's one entry point
        config: Config, store: CargoStore, data_dir: Path, now: Callable[[], datetime],
        request: Mapping[str, Any] | None = None,
        progress: Callable[[Progress], None] | None = None,
        budget: ByteBudget | None = None) -> SyncReport:
    """Run one sync on the caller's store (a press, the control socket, or the CLI alone)."""
    report = await run_sync(store, Path(data_dir) / "state", options_from(config, request), now,
                            progress, budget)
    too_big = [size for gateway in report.gateways for size in gateway.too_big]
    await asyncio.to_thread(record, Path(data_dir), now(), bool(report), too_big)
    return report
