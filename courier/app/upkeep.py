"""The daemon's housekeeping: reclaim expired objects, watch for network time, save the clock."""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from courier.clock import TrustedClock
from courier.store import CargoStore

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpkeepSettings:
    """How often each chore runs, in seconds."""

    reclaim_every: float = 600.0
    ntp_check_every: float = 30.0
    clock_save_every: float = 300.0


class Upkeep:
    """Runs the chores on a schedule; store work goes to a worker thread."""

    def __init__(self, store: Callable[[], CargoStore | None], clock: TrustedClock,
                 system_now: Callable[[], datetime], ntp_synchronized: Callable[[], bool],
                 settings: UpkeepSettings) -> None:
        self._store, self._clock, self._system_now = store, clock, system_now
        self._ntp = ntp_synchronized
        self.settings = settings
        self.stopped = False  # set by a wipe: nothing is written any more

    def now(self) -> datetime:
        """Return the effective now: the time expiry and reclaiming use."""
        return self._clock.effective_now(self._system_now(), time.monotonic())

    async def reclaim(self) -> int:
        """Delete what has expired at a time nobody on the hotspot could move; return how many."""
        store = self._store()
        if store is None or self.stopped:
            return 0
        return await asyncio.to_thread(store.gc, self.now())

    def check_network_time(self) -> bool:
        """Take the system time as network time once NTP has synchronised it; True if it did."""
        if not self._ntp():
            return False
        was = self._clock.trusted, self._clock.source
        self._clock.observe_network(self._system_now(), time.monotonic())
        if was != (True, "network"):
            LOG.info("clock: trusted (network time)")
        return True

    def save_clock(self) -> None:
        """Persist the lower bound of time for the next boot (never after a wipe)."""
        if not self.stopped:
            self._clock.save(self._system_now(), time.monotonic())

    async def run(self) -> None:
        """Run the chores until cancelled."""
        settings = self.settings
        due = {"reclaim": 0.0, "ntp": 0.0, "save": time.monotonic() + settings.clock_save_every}
        while True:
            now = time.monotonic()
            if now >= due["ntp"]:
                self.check_network_time()
                due["ntp"] = now + settings.ntp_check_every
            if now >= due["reclaim"]:
                try:
                    await self.reclaim()
                except Exception:
                    LOG.exception("reclaiming expired objects failed; trying again later")
                due["reclaim"] = now + settings.reclaim_every
            if now >= due["save"]:
                try:
                    await asyncio.to_thread(self.save_clock)
                except OSError as error:
                    LOG.warning("could not save the clock: %s", error)
                due["save"] = now + settings.clock_save_every
            await asyncio.sleep(max(0.05, min(due.values()) - time.monotonic()))
