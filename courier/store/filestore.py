"""The store on flash: sealed object files, a SQLite index, group commit, recovery at open."""

import contextlib
import errno
import functools
import json
import logging
import math
import os
import secrets
import shutil
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from courier.errors import StoreError
from courier.store import index
from courier.store.ccas import admit_cca
from courier.store.fsio import DurableIO
from courier.store.keys import (
    CHACHA,
    CIPHERS,
    SEAL_OVERHEAD,
    StoreKeys,
    destroy_master_key,
    ensure_master_key,
    load_master_key,
    preferred_cipher,
)
from courier.store.lock import StoreLock
from courier.store.model import (
    CorruptObjectError,
    Direction,
    Kind,
    ObjectMeta,
    ObjectNotFoundError,
    PutResult,
    StoredObject,
    StoreFullError,
    StoreStats,
)
from courier.store.policy import (
    Quota,
    allocated,
    check_card,
)
from courier.store.stats import make_stats, quota_total

LOG = logging.getLogger(__name__)
OWN_FLUSH_BYTES = 256 * 1024  # objects at least this big are fsynced by their writer
RECLAIM_CHUNK = 5000  # expired objects deleted per transaction
UNLINKERS = 4  # threads unlinking reclaimed files (3.5x faster than one on ext4 here)
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def meta_to_json(meta: ObjectMeta) -> bytes:
    """Serialise metadata for sealing."""
    return json.dumps({
        "kind": meta.kind.value, "direction": meta.direction.value,
        "recipient_id": meta.recipient_id, "internet_address": meta.internet_address,
        "sender_id": meta.sender_id, "message_id": meta.message_id,
        "expiry": meta.expiry.timestamp(), "size": meta.size,
    }).encode()


def meta_from_json(raw: bytes) -> ObjectMeta:
    """Parse metadata that was sealed by meta_to_json."""
    value = json.loads(raw)
    return ObjectMeta(
        kind=Kind(value["kind"]), direction=Direction(value["direction"]),
        recipient_id=value["recipient_id"], internet_address=value["internet_address"],
        sender_id=value["sender_id"], message_id=value["message_id"],
        expiry=datetime.fromtimestamp(value["expiry"], UTC), size=value["size"])


def _outcome(prepared: "_Pending | PutResult | StoreError") -> PutResult | StoreError:
    """Return what a put came to once its round (if it needed one) is over."""
    if not isinstance(prepared, _Pending):
        return prepared
    if prepared.error is not None:
        return prepared.error
    assert prepared.result is not None
    return prepared.result


def unexpired_bound(now: datetime) -> int:
    """Return the smallest whole-second expiry that is not expired at `now`."""
    return math.ceil(now.timestamp())


@dataclass
class _Pending:
    row: index.Row
    kind: Kind
    temp: Path
    done: bool = False
    evicts: list[str] | None = None  # older CCAs this one replaces
    result: PutResult | None = None
    error: StoreError | None = None


class FileStore:
    """Objects sealed with an AEAD in files named by random refs, indexed in SQLite.

    `cipher` is for a new store (default: the fastest on this CPU); a store keeps its own.
    """

    def __init__(self, data_dir: Path, keys: StoreKeys, quota: Quota, io: DurableIO,
                 cipher: str | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.root = self.data_dir / "store"
        self.objects = self.root / "objects"
        self.temp = self.root / "tmp"
        self.quarantine = self.root / "quarantine"
        for folder in (self.root, self.objects, self.temp, self.quarantine):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._owner = StoreLock(self.root)  # before recovery, which deletes files
        self._quota = quota
        self._io = io
        # When set, returns a time nobody on the hotspot could have moved: expired objects are
        # reclaimed at it before a put is answered "full" (the daemon sets the trusted clock).
        self.reclaim_clock: Callable[[], datetime] | None = None
        try:
            self._db = index.connect(self.root / "index.sqlite")
        except BaseException:
            self._owner.release()
            raise
        try:
            index.migrate(self._db)
            self._keys = keys.sealing_with(self._settle_cipher(cipher))
        except BaseException:
            self._db.close()
            self._owner.release()
            raise
        self._lock = threading.Lock()
        # Reads use their own connection (WAL lets them run beside a commit), so sealing, writing
        # and selecting go on while a group-commit round waits for the disk.
        self._reader = index.connect(self.root / "index.sqlite")
        self._read_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._writing = 0  # puts hashing, sealing or writing their file, not yet queued
        self._leader = False
        self._queue_lock = threading.Lock()
        self._writers_done = threading.Condition(self._queue_lock)  # _writing went down
        self._turn = threading.Condition(self._queue_lock)  # a round ended: done, or lead next
        self.recovery_report: dict[str, int] = self._recover()

    @classmethod
    def open(cls, data_dir: Path, *, quota_bytes: int = 0, quota_fraction: float = 0.8,
             cca_reserve_bytes: int = 16 * 1024 * 1024, per_sender_fraction: float = 0.25,
             io: DurableIO | None = None, create_key: bool = True,
             cipher: str | None = None) -> "FileStore":
        """Open (creating if needed) the store under data_dir, recovering from any crash."""
        data_dir = Path(data_dir)
        if create_key:
            ensure_master_key(data_dir)
        keys = StoreKeys.from_master(load_master_key(data_dir))
        (data_dir / "store").mkdir(mode=0o700, parents=True, exist_ok=True)
        total = quota_total(data_dir / "store", quota_bytes, quota_fraction)
        quota = Quota(total_bytes=total, cca_reserve_bytes=min(cca_reserve_bytes, total // 4),
                      per_sender_fraction=per_sender_fraction)
        return cls(data_dir, keys, quota, io or DurableIO(), cipher)

    @property
    def cipher(self) -> str:
        """Return the AEAD this store seals with."""
        return self._keys.cipher

    def _settle_cipher(self, wanted: str | None) -> str:
        """Return the store's cipher, choosing it if the store has none recorded yet."""
        def choose() -> str:
            # Objects and no record: the store predates the choice, and was sealed with ChaCha.
            return CHACHA if index.has_objects(self._db) else wanted or preferred_cipher()
        cipher = index.settle(self._db, "cipher", choose)
        if cipher not in CIPHERS:
            raise StoreError(f"the store is sealed with {cipher!r}, unknown to this version")
        LOG.info("the store seals with %s", cipher)
        return cipher

    # ---- writing ---------------------------------------------------------------------------

    def put(self, meta: ObjectMeta, data: bytes | memoryview) -> PutResult:
        """Seal, write, fsync, rename, fsync the directory, commit the index: then return."""
        outcome = self.put_many([(meta, data)])[0]
        if isinstance(outcome, StoreError):
            raise outcome
        return outcome

    def put_many(self, items: Sequence[tuple[ObjectMeta, bytes | memoryview]],
                 ) -> list[PutResult | StoreError]:
        """Store several objects as `put` does, in one commit round; each gets its outcome.

        A batch costs one queueing and one wait for its whole, not one per object.
        """
        # Counted from the start, so a commit round waits for puts still hashing and sealing.
        with self._queue_lock:
            self._writing += 1
        outcomes: list[_Pending | PutResult | StoreError] = []
        try:
            for meta, data in items:
                outcomes.append(self._prepare(meta, data))
        except BaseException:
            for outcome in outcomes:
                if isinstance(outcome, _Pending):
                    self._io.unlink(outcome.temp)
            self._prepared([])
            raise
        pending = [outcome for outcome in outcomes if isinstance(outcome, _Pending)]
        self._prepared(pending)
        if pending:
            self._group_commit(pending)
        results = [_outcome(outcome) for outcome in outcomes]
        full = [n for n, result in enumerate(results) if isinstance(result, StoreFullError)]
        if full and self.reclaim_clock is not None and self.gc(self.reclaim_clock()):
            # Expired objects made room: the refused ones get one more try.
            for number, result in zip(full, self._retry([items[n] for n in full]), strict=True):
                results[number] = result
        return results

    def _retry(self, items: Sequence[tuple[ObjectMeta, bytes | memoryview]],
               ) -> list[PutResult | StoreError]:
        clock, self.reclaim_clock = self.reclaim_clock, None
        try:
            return self.put_many(items)
        finally:
            self.reclaim_clock = clock

    def _prepared(self, pending: list[_Pending]) -> None:
        """Leave the preparing puts, joining the commit queue with `pending`."""
        with self._queue_lock:
            self._queue.extend(pending)  # all at once: one round commits them together
            self._writing -= 1
            self._writers_done.notify_all()

    def _prepare(self, meta: ObjectMeta, data: bytes | memoryview,
                 ) -> "_Pending | PutResult | StoreError":
        """Seal and write the object's temp file, or return the duplicate already stored."""
        dedup = self._keys.lookup_hash("dedup", meta.sender_id, meta.message_id)
        with self._read_lock:
            existing = index.find_duplicate(self._reader, dedup)
        if existing is not None:
            return PutResult(ref=existing, duplicate=True)
        ref = secrets.token_hex(16)
        address_h = (self._keys.lookup_hash("address", meta.internet_address)
                     if meta.internet_address is not None else None)
        row = index.Row(
            ref=ref, kind=meta.kind.value, direction=meta.direction.value,
            recipient_h=self._keys.lookup_hash("recipient", meta.recipient_id),
            address_h=address_h, sender_h=self._keys.lookup_hash("sender", meta.sender_id),
            dedup_h=dedup, expiry=int(meta.expiry.timestamp()), size=len(data),
            meta=self._keys.seal(ref, b"meta", meta_to_json(meta)))
        pending = _Pending(row=row, kind=meta.kind, temp=self.temp / ref)
        seal = functools.partial(self._keys.seal_into, ref, b"data", data)
        try:
            direct = self._io.write_unsynced(pending.temp, len(data) + SEAL_OVERHEAD, seal)
            if len(data) >= OWN_FLUSH_BYTES and not direct:
                # Big objects flush their own data now, in parallel with the other writers;
                # the round's flush is then left with little more than renames and the index.
                # (Data written directly is mostly on the device: the round's flush covers it.)
                self._io.sync([pending.temp], [])
        except OSError as error:
            self._io.unlink(pending.temp)
            if error.errno in _FULL_ERRNOS:
                LOG.warning("the card is full: an object could not be written")
                return StoreFullError("the card is full")
            LOG.error("could not write an object: %s", error)
            return StoreError(f"could not store the object: {error}")
        return pending

    def _group_commit(self, batch: list[_Pending]) -> None:
        """Wait for the queued puts; one thread at a time commits the queue in one fsync round.

        A put that queued during a round leads the next one as soon as that round ends: the
        leader wakes every waiter when it is done, not only those it committed.
        """
        with self._queue_lock:
            while not batch[0].done and self._leader:
                self._turn.wait()
            if batch[0].done:  # queued together, so committed in the same round
                return
            self._leader = True
        self._gather()
        with self._queue_lock:
            round_, self._queue = self._queue, []  # `batch` is in it: queued before we led
        try:
            self._commit_batch(round_)
        finally:
            with self._queue_lock:
                for item in round_:
                    item.done = True
                self._leader = False
                self._turn.notify_all()

    def _gather(self, limit: float = 0.0005) -> None:
        """Give puts that are still writing their file a moment to join this round."""
        with self._writers_done:
            self._writers_done.wait_for(lambda: self._writing <= 0, timeout=limit)

    def _commit_batch(self, batch: list[_Pending]) -> None:
        accepted: list[_Pending] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                usage: dict[bytes, int] = {}
                free = self._free_bytes()  # this round's files are written: they are counted
                for item in batch:
                    self._admit(item, accepted, usage, free)
                for item in accepted:
                    self._io.rename(item.temp, self.objects / item.row.ref)
                index.insert(self._db, [i.row for i in accepted if i.kind is Kind.CARGO])
                self._db.execute("COMMIT")
                if accepted:
                    # One flush for the whole round: object data, directory entries and the
                    # index's WAL. Nothing is acknowledged before it returns.
                    self._sync([self.objects / item.row.ref for item in accepted])
            except (OSError, sqlite3.Error) as error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                for item in batch:
                    item.error = _commit_error(error)
                    item.result = None
                    item.evicts = None
                LOG.error("store commit failed: %s", error)
        for item in batch:
            if item.result is None or item.result.duplicate or item.error is not None:
                self._io.unlink(item.temp)
            for ref in item.evicts or ():
                self._io.unlink(self.objects / ref)  # durable with the next round's flush
        for item in batch:
            if item.error is not None and item in accepted:
                self._io.unlink(self.objects / item.row.ref)

    def _free_bytes(self) -> int:
        info = os.statvfs(self.objects)
        return info.f_bavail * info.f_frsize

    def _admit(self, item: _Pending, accepted: list[_Pending], usage: dict[bytes, int],
               free: int) -> None:
        """Decide one queued put; `usage` caches the round's totals (b"" = all senders)."""
        existing = index.find_duplicate(self._db, item.row.dedup_h)
        if existing is None:
            existing = next((a.row.ref for a in accepted if a.row.dedup_h == item.row.dedup_h),
                            None)
        if existing is not None:
            item.result = PutResult(ref=existing, duplicate=True)
            return
        try:
            check_card(item.kind, free, self._quota.cca_reserve_bytes)
            if item.kind is Kind.CCA:
                self._admit_cca(item)
            else:
                self._charge(item, usage)
        except StoreFullError as error:
            item.error = error
            return
        item.result = PutResult(ref=item.row.ref, duplicate=False)
        accepted.append(item)

    def _charge(self, item: _Pending, usage: dict[bytes, int]) -> None:
        """Count a cargo against the quota (raising StoreFullError if it does not fit)."""
        sender, cost = item.row.sender_h, allocated(item.row.size)
        if sender not in usage:
            total, usage[sender] = index.usage(self._db, sender)
            usage.setdefault(b"", total)
        self._quota.check(item.kind, cost, usage[b""], usage[sender])
        usage[b""] += cost
        usage[sender] += cost

    def _admit_cca(self, item: _Pending) -> None:
        """Insert a CCA now, replacing older ones beyond the caps (courier.store.ccas)."""
        item.evicts = admit_cca(self._db, item.row, self._quota.total_bytes)

    def _sync(self, files: list[Path]) -> None:
        index_files = [self.root / "index.sqlite", self.root / "index.sqlite-wal"]
        self._io.sync([*files, *(f for f in index_files if f.exists())],
                      [self.objects, self.root])

    def delete(self, ref: str) -> bool:
        """Remove the index entry and the file, durably (an orphan file is removed at open)."""
        with self._lock:
            cursor = self._db.execute("DELETE FROM objects WHERE ref = ?", (ref,))
        if cursor.rowcount == 0:
            return False
        self._io.unlink(self.objects / ref)
        self._sync([])
        return True

    # ---- reading ---------------------------------------------------------------------------

    def get(self, ref: str) -> bytes:
        """Return an object's bytes; a corrupt object is quarantined and never served."""
        with self._read_lock:
            row = self._reader.execute("SELECT size FROM objects WHERE ref = ?",
                                       (ref,)).fetchone()
        if row is None:
            raise ObjectNotFoundError(f"no object {ref}")
        try:
            sealed = self._io.read(self.objects / ref)
        except FileNotFoundError:
            self._forget(ref)
            raise ObjectNotFoundError(f"object {ref} lost its file") from None
        try:
            return self._keys.open(ref, b"data", sealed)
        except CorruptObjectError:
            self._quarantine(ref)
            raise

    def _select(self, where: str, args: tuple[object, ...]) -> list[StoredObject]:
        with self._read_lock:
            rows = self._reader.execute(
                f"SELECT ref, meta FROM objects WHERE {where} ORDER BY expiry, rowid",  # noqa: S608
                args).fetchall()
        found: list[StoredObject] = []
        for ref, sealed in rows:
            try:
                found.append(StoredObject(ref, meta_from_json(self._keys.open(ref, b"meta",
                                                                               sealed))))
            except CorruptObjectError:
                self._quarantine(ref)
        return found

    def select_for_recipient(self, recipient_id: str, now: datetime) -> list[StoredObject]:
        """Return unexpired cargo for a private gateway, oldest expiry first."""
        return self._select(
            "recipient_h = ? AND direction = ? AND kind = ? AND expiry >= ?",
            (self._keys.lookup_hash("recipient", recipient_id), Direction.TO_PRIVATE.value,
             Kind.CARGO.value, unexpired_bound(now)))

    def select_for_address(self, address: str, now: datetime, kind: Kind) -> list[StoredObject]:
        """Return unexpired cargo or CCAs for an Internet gateway, oldest expiry first."""
        return self._select(
            "address_h = ? AND direction = ? AND kind = ? AND expiry >= ?",
            (self._keys.lookup_hash("address", address), Direction.TO_INTERNET.value,
             kind.value, unexpired_bound(now)))

    def internet_addresses(self, now: datetime) -> set[str]:
        """Return the Internet gateways that have cargo or CCAs waiting."""
        found = self._select(
            "direction = ? AND address_h IS NOT NULL AND expiry >= ? "
            "AND rowid IN (SELECT MIN(rowid) FROM objects WHERE direction = ? "
            "AND expiry >= ? GROUP BY address_h)",
            (Direction.TO_INTERNET.value, unexpired_bound(now), Direction.TO_INTERNET.value,
             unexpired_bound(now)))
        return {item.meta.internet_address for item in found if item.meta.internet_address}

    def gc(self, now: datetime) -> int:
        """Delete every object expired at `now`, a few thousand per transaction; return how many.

        Files are unlinked after their rows' commit and flushed once at the end: a crash in
        between leaves orphan files, which recovery removes.
        """
        reclaimed = 0
        while True:
            with self._lock:
                refs = index.expired_refs(self._db, unexpired_bound(now), RECLAIM_CHUNK)
                if refs:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        index.delete_refs(self._db, refs)
                        self._db.execute("COMMIT")
                    except BaseException:
                        self._db.execute("ROLLBACK")
                        raise
            with ThreadPoolExecutor(UNLINKERS) as pool:  # unlink waits on the disk: overlap it
                list(pool.map(self._io.unlink, [self.objects / ref for ref in refs]))
            reclaimed += len(refs)
            if len(refs) < RECLAIM_CHUNK:
                break
        if reclaimed:
            self._sync([])
            LOG.info("reclaimed %d expired objects", reclaimed)
        return reclaimed

    def stats(self) -> StoreStats:
        """Return counts, sizes, quota and free space."""
        with self._read_lock:
            by_kind = index.counts(self._reader)
            used = index.usage(self._reader, b"")[0]
        return make_stats(by_kind, used, self._quota.total_bytes, self.root, self.quarantine)

    # ---- maintenance -----------------------------------------------------------------------

    def _forget(self, ref: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM objects WHERE ref = ?", (ref,))

    def _quarantine(self, ref: str) -> None:
        """Move a corrupt object aside (kept for inspection, never served) and drop its entry."""
        LOG.error("object %s failed its integrity check: quarantined", ref)
        with contextlib.suppress(FileNotFoundError):
            os.replace(self.objects / ref, self.quarantine / ref)
        self._forget(ref)

    def _recover(self) -> dict[str, int]:
        """Remove temp files and reconcile files with index entries."""
        report = {"temp_removed": 0, "orphan_files": 0, "missing_files": 0, "quarantined": 0}
        for temp in self.temp.iterdir():
            self._io.unlink(temp)
            report["temp_removed"] += 1
        with self._lock:
            rows = dict(self._db.execute("SELECT ref, size FROM objects").fetchall())
        sizes = {entry.name: entry.stat().st_size for entry in os.scandir(self.objects)}
        for name in sizes.keys() - rows.keys():
            self._io.unlink(self.objects / name)
            report["orphan_files"] += 1
        for ref, size in rows.items():
            if ref not in sizes:
                self._forget(ref)
                report["missing_files"] += 1
            elif sizes[ref] != size + SEAL_OVERHEAD:
                self._quarantine(ref)
                report["quarantined"] += 1
        if any(report.values()):
            LOG.warning("store recovery: %s", report)
        return report

    def wipe(self) -> None:
        """Crypto-erase: destroy the key first (everything is unreadable), then delete the data."""
        destroy_master_key(self.data_dir)
        with self._lock, self._read_lock:
            self._db.close()
            self._reader.close()
        shutil.rmtree(self.root, ignore_errors=True)
        self._owner.release()  # last: nobody may open the store while it is being deleted

    def close(self) -> None:
        """Close the index and give up ownership."""
        with self._lock, self._read_lock:
            self._db.close()
            self._reader.close()
        self._owner.release()


def _commit_error(error: OSError | sqlite3.Error) -> StoreError:
    """Return what a failed commit round means for each of its puts."""
    full = (isinstance(error, OSError) and error.errno in _FULL_ERRNOS) or (
        isinstance(error, sqlite3.Error)
        and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL)
    if full:
        return StoreFullError("the card is full")
    return StoreError(f"could not store the object: {error}")
