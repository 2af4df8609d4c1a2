"""Samples who is on the hotspot (courier.net.presence) for the session's idle close."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from courier.net.presence import (
    PresenceTracker,
    Sample,
    read_leases,
    read_stations,
    read_tcp_peers,
)

# Probes are bare TCP connects every 2-5 s: a faster look catches more of them; a read of the
# TCP tables and the lease file costs well under a millisecond here.
SAMPLE_SECONDS = 1.0


@dataclass
class PresenceWatch:
    """Reads hostapd's stations, dnsmasq's leases and the CogRPC port's TCP peers."""

    port: int
    run_dir: Path  # courier-net's run directory: hostapd/<interface>, dnsmasq.leases
    interface: str
    tracker: PresenceTracker = field(default_factory=PresenceTracker)

    @property
    def last_seen(self) -> float:
        """Return the monotonic time someone was last seen on the hotspot (0 if never)."""
        return self.tracker.last_seen

    def sample(self) -> Sample:
        """Read every source once (blocking: run it in a thread)."""
        return Sample(stations=read_stations(self.run_dir / "hostapd" / self.interface),
                      leases=read_leases(self.run_dir / "dnsmasq.leases"),
                      tcp_peers=read_tcp_peers(self.port))

    async def run(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Sample until cancelled."""
        while True:
            sample = await asyncio.to_thread(self.sample)
            self.tracker.observe(sample, clock())
            await asyncio.sleep(SAMPLE_SECONDS)
