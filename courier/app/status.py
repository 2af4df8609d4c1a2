"""The one writer of the daemon's status snapshot, fed from the real sources (docs/panel.md)."""

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from courier.app.internet_sync import GatewayReport, Progress
from courier.app.updates import UpdateFacts
from courier.clock import TrustedClock, system_now
from courier.cogrpc.counters import CountersSnapshot, GatewayCount, ServerCounters
from courier.config import Config
from courier.errors import NetworkError
from courier.net.credentials import load_wifi_credentials
from courier.panel.present import DeviceStatus
from courier.panel.views import ClientRow, GatewayProgress
from courier.store import StoreStats

STATS_EVERY = 2.0  # seconds between store figures (a query of the index)
_PHASES = {"resolving": "waiting", "waiting": "waiting", "delivering": "syncing",
           "collecting": "syncing", "done": "done", "failed": "failed"}


class StatusWriter:
    """Keeps the status snapshot: counters, store, clock, presence, uplink, Internet sync."""

    def __init__(self, first: DeviceStatus, counters: ServerCounters, clock: TrustedClock,
                 stats: Callable[[], StoreStats | None], stations: Callable[[], int], *,
                 updates: Callable[[], UpdateFacts] = UpdateFacts) -> None:
        self.status, self._settings_notices, self._updates = first, first.notices, updates
        self._counters, self._clock, self._stats, self._stations = counters, clock, stats, stations
        self._store: StoreStats | None = None
        self._store_at = -STATS_EVERY
        self._session_start: dict[str, GatewayCount] | None = None
        self._session_at = 0.0
        self._names: dict[str, str] = {}  # "gw 1", "gw 2": in the order they came (7 columns)
        self._progress: dict[str, GatewayProgress] = {}
        self._internet = False

    def refresh(self) -> DeviceStatus:
        """Return the snapshot with fresh counters, store figures (every 2 s) and clock."""
        now = time.monotonic()
        if now - self._store_at >= STATS_EVERY:
            self._store, self._store_at = self._stats(), now
        counters = self._counters.snapshot()
        reading = self._clock.reading(system_now(), now)
        stats = self._store
        done = counters.cargo_in + counters.cargo_out
        waiting = stats.cargo_to_private if stats else 0
        update = self._updates()
        self.status = replace(
            self.status, effective_now=reading.effective_now, clock_trusted=reading.trusted,
            clock_source=reading.source, cargo_done=done,
            cargo_total=done + self._to_go(waiting),
            bytes_in=counters.bytes_in, bytes_out=counters.bytes_out,
            used_bytes=stats.bytes if stats else 0, quota_bytes=stats.quota_bytes if stats else 0,
            cargo_to_internet=stats.cargo_to_internet if stats else 0,
            cargo_to_private=waiting, ccas=stats.ccas if stats else 0,
            too_big=counters.too_big_cargo, stations=self._stations(),
            clients=self._clients(counters), gateways=tuple(self._progress.values()),
            transfer_title="Internet sync" if self._internet else "Hotspot sync",
            update_offer=update.offer, update_source=update.source,
            update_serial=update.serial,
            update_percent=update.percent, update_words=update.words,
            notices=self._settings_notices + update.notices)
        return self.status

    def _to_go(self, waiting_here: int) -> int:
        """Return the cargo still to move: for the Internet sync, what its gateways said."""
        if self._internet:
            return sum(max(0, g.to_deliver - g.delivered) for g in self._progress.values())
        return waiting_here

    def _clients(self, counters: CountersSnapshot) -> tuple[ClientRow, ...]:
        """Return the private gateways active since the session opened, with their cargo."""
        start = self._session_start
        if start is None:
            return ()
        here = sorted((count.last_seen, gateway_id) for gateway_id, count
                      in counters.gateways.items() if count.last_seen >= self._session_at)
        for _, gateway_id in here:
            self._names.setdefault(gateway_id, f"gw {len(self._names) + 1}")
        rows = []
        for gateway_id, name in self._names.items():
            count, before = counters.gateways[gateway_id], start.get(gateway_id, GatewayCount())
            rows.append(ClientRow(name, count.received - before.received,
                                  count.sent - before.sent))
        return tuple(rows)

    def session_opened(self) -> None:
        """Start counting the session's clients afresh."""
        self._session_start, self._names = self._counters.snapshot().gateways, {}
        self._session_at = time.monotonic()

    def uplink(self, up: bool) -> None:
        """Record what the uplink monitor said."""
        self.status = replace(self.status, uplink=up)

    def wifi_said(self, words: str) -> None:
        """Record what the Wi-Fi uplink is doing, or why it stopped."""
        self.status = replace(self.status, wifi=words)

    def sync_started(self) -> None:
        """Clear the Internet screen for a new sync."""
        self._progress, self._internet = {}, True

    def sync_progress(self, progress: Progress) -> None:
        """Record one gateway's progress event (from the Internet sync, on the loop)."""
        old = self._progress.get(progress.gateway,
                                 GatewayProgress(progress.gateway, 0, 0, 0, "waiting"))
        status = _PHASES.get(progress.phase, "syncing")
        if progress.phase == "delivering":
            old = replace(old, delivered=progress.items_done, to_deliver=progress.items_total)
        elif progress.phase == "collecting":
            old = replace(old, collected=progress.items_done)
        self._progress[progress.gateway] = replace(old, status=status)

    def sync_finished(self, reports: list[GatewayReport] | None) -> None:
        """Record the outcome: final counts, and which gateway failed as the problem's detail."""
        self._internet = False
        for report in reports or []:
            self._progress[report.address] = GatewayProgress(
                report.address, report.delivered, report.delivered + report.undelivered,
                report.collected, "done" if report.ok else "failed")
        failed = [r for r in reports or [] if not r.ok]
        # Two lines of 21 columns: why, in words (the full reasons are logged and in the CLI).
        more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
        self.problem(f"{failure_words(failed[0])}{more}" if failed else "")

    def problem(self, detail: str) -> None:
        """Set the detail line of the problem screen (a failed sync, a hardware fault)."""
        self.status = replace(self.status, problem_detail=detail[:60])


def failure_words(report: GatewayReport) -> str:
    """Say why a gateway's sync did not finish: the uplink too slow, or the gateway itself."""
    if report.error is None and not report.undelivered and report.too_big_note:
        return report.too_big_note
    return f"could not sync {report.address}"


def first_status(config: Config, data_dir: Path, clock: TrustedClock,
                 notices: tuple[str, ...] = (), version: str = "") -> DeviceStatus:
    """Return the first snapshot: name, Wi-Fi credentials, clock, settings still to fix."""
    reading = clock.reading(system_now(), time.monotonic())
    try:
        credentials = load_wifi_credentials(data_dir)
        ssid, passphrase = credentials.ssid, credentials.passphrase
    except NetworkError:
        ssid, passphrase = config.hotspot.ssid, config.hotspot.passphrase
    return DeviceStatus(config.device.name, reading.effective_now, reading.trusted, reading.source,
                        ssid=ssid, passphrase=passphrase, notices=notices, version=version)
