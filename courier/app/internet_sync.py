"""One Internet sync: deliver cargo to each Internet gateway, then collect with the stored CCAs."""

import asyncio
import dataclasses
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc

from courier.cogrpc.client import collect, deliver, open_channel
from courier.config import Config, parse_endpoint
from courier.errors import CourierError, ProtocolError
from courier.net.srv import Target, resolve
from courier.protocol import MessageType, parse_message, validate_message
from courier.store import Direction, FileStore, Kind, ObjectMeta
from courier.sync.internet import CcaFate, Retry, after_failure, cca_fate, is_due

LOG = logging.getLogger(__name__)
CALL_TIMEOUT = 60.0


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
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Tell whether everything went through."""
        return self.error is None and self.undelivered == 0 and self.ccas_kept == 0


@dataclass
class SyncReport:
    """The reports of every gateway; true when all went well."""

    gateways: list[GatewayReport] = field(default_factory=list)

    def __bool__(self) -> bool:
        return all(g.ok for g in self.gateways)


@dataclass(frozen=True)
class SyncOptions:
    """How to reach gateways."""

    overrides: Mapping[str, str] = field(default_factory=dict)
    ca_pem: bytes | None = None
    reply_wait: float = 10.0
    concurrency: int = 4
    nameserver: tuple[str, int] | None = None
    timeout: float = CALL_TIMEOUT


class RetryBook:
    """CCAs kept for a retry, persisted in <data dir>/state/cca-retry.json (by store ref)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError):
            raw = {}
        self.entries = {ref: Retry(int(v["failures"]), datetime.fromisoformat(v["next"]))
                        for ref, v in raw.items()}

    def save(self) -> None:
        """Write the book atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps({ref: {"failures": r.failures,
                                          "next": r.next_attempt.isoformat()}
                                    for ref, r in self.entries.items()}))
        os.replace(temp, self.path)


class GatewaySync:
    """Sync one Internet gateway with the store."""

    def __init__(self, store: FileStore, address: str, options: SyncOptions, book: RetryBook,
                 progress: Callable[[Progress], None]) -> None:
        self.store, self.address, self.options = store, address, options
        self.book, self.progress = book, progress
        self.report = GatewayReport(address)

    async def run(self) -> GatewayReport:
        """Deliver, wait for replies, collect; never raise."""
        try:
            self.progress(Progress(self.address, "resolving"))
            targets = await asyncio.to_thread(resolve, self.address, self.options.overrides,
                                              nameserver=self.options.nameserver)
            await self._sync(targets[0])
        except CourierError as error:
            self.report.error = str(error)
        self._count_kept()
        self.progress(Progress(self.address, "failed" if not self.report.ok else "done"))
        return self.report

    def _count_kept(self) -> None:
        now = datetime.now(UTC)
        held = self.store.select_for_address(self.address, now, Kind.CARGO)
        self.report.undelivered = len(held)
        self.report.ccas_kept = len(self.store.select_for_address(self.address, now, Kind.CCA))

    async def _sync(self, target: Target) -> None:
        async with open_channel(target, self.options.ca_pem) as channel:
            await self._deliver(channel)
            if self.report.error is None:
                self.progress(Progress(self.address, "waiting"))
                await asyncio.sleep(self.options.reply_wait)
                await self._collect(channel)

    async def _deliver(self, channel: grpc.aio.Channel) -> None:
        now = datetime.now(UTC)
        held = self.store.select_for_address(self.address, now, Kind.CARGO)
        if not held:
            return
        items = [(item.ref, self.store.get(item.ref)) for item in held]
        total = sum(len(data) for _, data in items)
        self.progress(Progress(self.address, "delivering", 0, len(items), 0, total))
        acked, status = await deliver(channel, items, self.options.timeout)
        done = 0
        for ref, data in items:
            if ref in acked:
                self.store.delete(ref)  # the gateway has it now
                done += len(data)
        self.report.delivered = len(acked)
        self.progress(Progress(self.address, "delivering", len(acked), len(items), done, total))
        if len(acked) < len(items):
            self.report.error = f"delivery ended with {status} after {len(acked)} of {len(items)}"

    async def _collect(self, channel: grpc.aio.Channel) -> None:
        now = datetime.now(UTC)
        for cca in self.store.select_for_address(self.address, now, Kind.CCA):
            if not is_due(self.book.entries.get(cca.ref), now):
                continue
            self.progress(Progress(self.address, "collecting", self.report.collected))
            status = await collect(channel, self.store.get(cca.ref), self.options.timeout,
                                   self._store_reply)
            self.report.ccas_used += 1
            if cca_fate(status) is CcaFate.DELETE:
                self.store.delete(cca.ref)
                self.book.entries.pop(cca.ref, None)
                if status != "OK":
                    self.report.ccas_dropped += 1
                    LOG.warning("%s refused a CCA (%s): dropped", self.address, status)
            else:
                self.book.entries[cca.ref] = after_failure(self.book.entries.get(cca.ref), now)
                self.report.error = f"collection ended with {status}; the CCA is kept"

    async def _store_reply(self, cargo: bytes) -> None:
        """Validate a collected cargo as private-bound and store it durably (before the ack)."""
        try:
            await asyncio.to_thread(self._validate_and_store, cargo)
        except ProtocolError as error:
            self.report.rejected += 1
            LOG.warning("dropped a cargo from %s: %s", self.address,
                        getattr(error, "reason", "invalid"))
            return
        self.report.collected += 1

    def _validate_and_store(self, cargo: bytes) -> None:
        """Parse, verify, validate and store (one worker-thread hop, no copy of the cargo)."""
        message = parse_message(cargo, MessageType.CARGO)
        validate_message(message, datetime.now(UTC), bound="private")
        self.store.put(ObjectMeta.from_message(message, Direction.TO_PRIVATE),
                       message.serialized_view)


async def run_sync(store: FileStore, data_dir: Path, options: SyncOptions,
                   progress: Callable[[Progress], None] | None = None) -> SyncReport:
    """Sync every Internet gateway that has cargo or CCAs waiting, a few at a time."""
    book = RetryBook(Path(data_dir) / "state" / "cca-retry.json")
    addresses = sorted(store.internet_addresses(datetime.now(UTC)))
    slots = asyncio.Semaphore(options.concurrency)

    async def one(address: str) -> GatewayReport:
        async with slots:
            return await GatewaySync(store, address, options, book,
                                     progress or (lambda _p: None)).run()

    reports = await asyncio.gather(*(one(address) for address in addresses))
    book.save()
    return SyncReport(list(reports))


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
        timeout=float(request.get("timeout") or CALL_TIMEOUT))


def report_lines(report: SyncReport) -> list[dict[str, Any]]:
    """Return the report as JSON-ready dicts (what the control socket sends)."""
    return [{**dataclasses.asdict(g), "ok": g.ok} for g in report.gateways]


async def sync_with(config: Config, store: FileStore, data_dir: Path,
                    request: Mapping[str, Any] | None = None,
                    progress: Callable[[Progress], None] | None = None) -> SyncReport:
    """Run one sync on the daemon's store (from a press, or asked over the control socket)."""
    return await run_sync(store, data_dir, options_from(config, request), progress)
