"""What the CogRPC server counts, for the panel and the logs."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from courier.reasons import Reason

CLIENT_WINDOW = 60.0


@dataclass(frozen=True)
class CountersSnapshot:
    """Counters at one moment."""

    clients: int
    cargo_in: int
    cargo_out: int
    bytes_in: int
    bytes_out: int
    ccas_accepted: int
    rejected: dict[str, int]
    last_activity: float
    too_big_cargo: int = 0  # waiting cargo no Android phone can receive (over 4 MiB)
    too_big_gateways: int = 0  # private gateways that have such cargo waiting
    gateways: dict[str, "GatewayCount"] = field(default_factory=dict)  # private gateway id ->


@dataclass(frozen=True)
class GatewayCount:
    """One private gateway's cargo through this server, and when it was last active."""

    received: int = 0  # cargo stored from it
    sent: int = 0  # cargo it acknowledged
    last_seen: float = 0.0


@dataclass
class ServerCounters:
    """Thread-safe counters; `clients` are the distinct peers seen in the last minute."""

    cargo_in: int = 0
    cargo_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    ccas_accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    last_activity: float = 0.0
    too_big: dict[str, int] = field(default_factory=dict)  # gateway id -> cargo count
    gateways: dict[str, GatewayCount] = field(default_factory=dict)
    _peers: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seen(self, peer: str) -> None:
        """Record activity from a peer (its address, without the port)."""
        with self._lock:
            self.last_activity = time.monotonic()
            self._peers[peer] = self.last_activity

    def add(self, **amounts: int) -> None:
        """Add to named counters (cargo_in=1, bytes_in=n, ...)."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def reject(self, reason: Reason, prefix: Literal["", "cca_", "unsure_"] = "") -> None:
        """Count an item refused or dropped, by reason (cca_: the CCA; unsure_: not acked)."""
        with self._lock:
            self.rejected[prefix + reason] += 1

    def gateway(self, gateway_id: str, received: int = 0, sent: int = 0) -> None:
        """Record a private gateway's activity: cargo stored from it, cargo it acknowledged."""
        with self._lock:
            old = self.gateways.get(gateway_id, GatewayCount())
            self.gateways[gateway_id] = GatewayCount(old.received + received, old.sent + sent,
                                                     time.monotonic())

    def set_too_big(self, gateway: str, count: int) -> None:
        """Record how many cargo waiting for `gateway` are too big for Android phones."""
        with self._lock:
            if count:
                self.too_big[gateway] = count
            else:
                self.too_big.pop(gateway, None)

    def snapshot(self) -> CountersSnapshot:
        """Return the counters now."""
        with self._lock:
            cutoff = time.monotonic() - CLIENT_WINDOW
            self._peers = {p: t for p, t in self._peers.items() if t >= cutoff}
            return CountersSnapshot(
                clients=len(self._peers), cargo_in=self.cargo_in, cargo_out=self.cargo_out,
                bytes_in=self.bytes_in, bytes_out=self.bytes_out,
                ccas_accepted=self.ccas_accepted, rejected=dict(self.rejected),
                last_activity=self.last_activity, too_big_cargo=sum(self.too_big.values()),
                too_big_gateways=len(self.too_big), gateways=dict(self.gateways))
