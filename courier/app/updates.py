"""The daemon's side of system updates: the helper's offer and progress, this boot's words.

The daemon holds no privileges: it reads the update helper's status file, asks it to install
the version the courier confirmed, and tells the panel what this boot is (trying a new
version, updated, or back on the old one after a failed update).
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from courier.app.control import ask
from courier.config import UpdateConfig
from courier.update.bootsel import DEFAULT_BOOT, BootPartition
from courier.update.fetch import FetchError, fetch_bundle
from courier.update.offer import SOCKET_NAME, SOURCES, HelperStatus, read_status
from courier.update.words import boot_facts, read_seen, remember, words_for

LOG = logging.getLogger(__name__)
HELPER_RUN_DIR = Path("/run/courier-update")
BOOT_CHECK_SECONDS = 10.0  # a trial is committed by the health check while the daemon runs
HELPER_REREAD_SECONDS = 1.0  # the helper's status is read at least this often
FETCH_SECONDS = 300.0  # at most this long per sync on the bundle; the rest at the next sync


@dataclass(frozen=True)
class UpdateFacts:
    """What the screens show about updates."""

    offer: str = ""
    source: str = ""
    serial: int = 0  # changes when the offer is made afresh (the stick plugged in again)
    percent: int | None = None
    words: str = ""
    notices: tuple[str, ...] = ()


class Updates:
    """Reads the helper and the boot partition; asks the helper to install."""

    def __init__(self, version: str, state_dir: Path, run_dir: Path = HELPER_RUN_DIR,
                 boot: Path = DEFAULT_BOOT) -> None:
        self.version, self._state_dir, self.run_dir = version, state_dir, run_dir
        self._boot = BootPartition(boot)
        self._seen = read_seen(state_dir)  # the record at start: this run's words compare to it
        self._remembered = self._seen
        self._boot_words = ""
        self._on_trial = False
        self._boot_checked = float("-inf")
        self._slot = ""  # the booted slot, once the helper said it (/proc/cmdline is hidden)
        self._helper: HelperStatus | None = None
        self._helper_stamp: tuple[int, int, int, int] | None = None
        self._helper_read = float("-inf")
        self._said_refused: tuple[str, ...] = ()
        self.why = ""  # why the last install asked for failed, in words (the problem's detail)

    def _check_boot(self) -> None:
        """Work out this boot's words; after a trial is committed, say "Updated to X"."""
        facts = boot_facts(self._boot, self._slot)
        words, keep = words_for(facts, self.version, self._seen)
        if words != self._boot_words and words:
            LOG.info("update: %s", words)
        self._boot_words, self._on_trial = words, bool(facts and facts.trial)
        if keep is not None and keep != self._remembered:
            try:
                remember(self._state_dir, keep)
                self._remembered = keep
            except OSError as error:
                LOG.warning("update: could not record this boot: %s", error)

    async def watch(self, helper_wait: float = 120.0) -> None:
        """Say this boot's words; while on trial, look again until the health check decides."""
        waited = 0.0
        while True:
            self.facts()
            if (self._slot and not self._on_trial) or (not self._slot and waited >= helper_wait):
                return  # decided, or no A/B helper on this system (a laptop)
            pause = BOOT_CHECK_SECONDS if self._slot else 2.0
            await asyncio.sleep(pause)
            waited += pause

    def facts(self) -> UpdateFacts:
        """Return the update facts now (cheap: the files are read only when they changed)."""
        now = time.monotonic()
        helper = self._read_helper()
        slot = helper.slot if helper is not None else self._slot  # a helper restarting
        due = self._on_trial and now - self._boot_checked >= BOOT_CHECK_SECONDS
        if slot != self._slot or due:
            self._slot, self._boot_checked = slot, now
            self._check_boot()
        notices = [self._boot_words] if self._boot_words else []
        if helper is not None:
            notices.extend(f"Update refused: {line}" for line in helper.refused[:3])
        if helper is None or helper.offer is None:
            return UpdateFacts(notices=tuple(notices),
                               words=helper.words if helper else "",
                               percent=helper.percent if helper else None)
        offer = helper.offer
        return UpdateFacts(offer.version, SOURCES.get(offer.source, offer.source), offer.serial,
                           helper.percent, helper.words, tuple(notices))

    def _read_helper(self) -> HelperStatus | None:
        """Return the helper's status, read again when its file changed (or a second passed)."""
        try:
            stat = (self.run_dir / "status.json").stat()
        except OSError:
            self._helper = self._helper_stamp = None
            return None
        now = time.monotonic()
        # Inode numbers are reused and timestamps are coarse: two quick replacements can look
        # alike, so the file is also read again every second.
        stamp = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_size)
        if stamp != self._helper_stamp or now - self._helper_read >= HELPER_REREAD_SECONDS:
            self._helper_stamp, self._helper = stamp, read_status(self.run_dir)
            self._helper_read = now
            if self._helper is not None and self._helper.refused != self._said_refused:
                self._said_refused = self._helper.refused
                for line in self._helper.refused:
                    LOG.warning("update refused: %s", line)
        return self._helper

    async def install(self, version: str) -> bool:
        """Ask the helper to install `version`; True once it is rebooting into it."""
        answer = await ask(self.run_dir / SOCKET_NAME,
                           {"command": "install", "version": version}, lambda _p: None)
        if answer is None:
            self.why = "the update helper is not running"
        elif answer.get("ok"):
            return True
        else:
            self.why = str(answer.get("error", "install failed"))[:120]
        LOG.error("update: %s", self.why)
        return False

    async def check_download(self) -> str | None:
        """Ask the helper to check the downloaded bundle; return the version offered, if any."""
        answer = await ask(self.run_dir / SOCKET_NAME, {"command": "check-download"},
                           lambda _p: None)
        if answer is None or "error" in answer:
            LOG.warning("update: the downloaded bundle was not checked: %s",
                        "no helper" if answer is None else answer["error"])
            return None
        offer = answer.get("offer")
        return offer if isinstance(offer, str) else None


async def install_or_say(updates: Updates, say: Callable[[str], None], version: str) -> bool:
    """Ask the helper to install what the courier confirmed; `say` why it failed (the panel)."""
    if await updates.install(version):
        return True
    say(updates.why)
    return False


async def fetch_offered(updates: Updates | None, config: UpdateConfig, spool: Path,
                        seconds: float = FETCH_SECONDS) -> None:
    """Fetch the organisation's bundle over the uplink (resuming), then have the helper check it.

    Called at the end of each Internet sync while the uplink is up; never fails the sync.
    """
    if updates is None or not config.url:
        return
    cancel = threading.Event()
    try:
        result = await asyncio.to_thread(
            fetch_bundle, config.url, spool, ca_file=config.ca_file,
            max_bytes=config.max_bytes, deadline=time.monotonic() + seconds, cancel=cancel)
    except FetchError as error:
        LOG.warning("update: download failed: %s", error)
        return
    finally:
        cancel.set()  # a cancelled sync (a wipe) stops the download thread at its next chunk
    if result.outcome == "partial":
        LOG.info("update: %d bytes of the bundle so far; the next sync goes on", result.size)
        return
    LOG.info("update: bundle %s (%d bytes)", result.outcome, result.size)
    version = await updates.check_download()
    if version is not None:
        LOG.info("update: version %s downloaded and offered", version)
