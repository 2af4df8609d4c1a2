"""A store in memory with the same semantics as FileStore (for tests and benchmarks)."""

import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime

from courier.errors import StoreError
from courier.store.filestore import unexpired_bound
from courier.store.model import (
    Direction,
    Kind,
    ObjectMeta,
    ObjectNotFoundError,
    PutResult,
    StoredObject,
    StoreFullError,
    StoreStats,
)
from courier.store.policy import CCAS_PER_ADDRESS, CCAS_PER_SENDER, Quota, allocated


class MemoryStore:
    """Objects in a dict; same dedup, quota, expiry and ordering rules as FileStore."""

    def __init__(self, quota_bytes: int = 1 << 30, cca_reserve_bytes: int = 16 * 1024 * 1024,
                 per_sender_fraction: float = 0.25) -> None:
        self._quota = Quota(total_bytes=quota_bytes,
                            cca_reserve_bytes=min(cca_reserve_bytes, quota_bytes // 4),
                            per_sender_fraction=per_sender_fraction)
        self._objects: dict[str, tuple[ObjectMeta, bytes, int]] = {}
        self._dedup: dict[tuple[str, str], str] = {}
        self._sequence = 0
        self._lock = threading.Lock()
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def put(self, meta: ObjectMeta, data: bytes | memoryview) -> PutResult:
        """Store and return the reference; duplicates return the existing one."""
        with self._lock:
            self._check_open()
            key = (meta.sender_id, meta.message_id)
            if key in self._dedup:
                return PutResult(self._dedup[key], duplicate=True)
            if meta.kind is Kind.CCA:
                self._make_room_for_cca(meta, allocated(len(data)))
            else:
                self._quota.check(meta.kind, allocated(len(data)), self._used(),
                                  self._used(meta.sender_id))
            ref = secrets.token_hex(16)
            self._sequence += 1
            self._objects[ref] = (meta, bytes(data), self._sequence)
            self._dedup[key] = ref
            return PutResult(ref, duplicate=False)

    def put_many(self, items: Sequence[tuple[ObjectMeta, bytes | memoryview]],
                 ) -> list[PutResult | StoreError]:
        """Store several objects, each getting its result or its error."""
        outcomes: list[PutResult | StoreError] = []
        for meta, data in items:
            try:
                outcomes.append(self.put(meta, data))
            except StoreError as error:
                outcomes.append(error)
        return outcomes

    def _used(self, sender: str | None = None) -> int:
        return sum(allocated(len(d)) for m, d, _ in self._objects.values()
                   if sender is None or m.sender_id == sender)

    def _ccas(self, sender: str, address: str | None = None) -> list[str]:
        """Return a sender's CCA refs (for one address, or all), newest first."""
        found = [(m.expiry, seq, ref) for ref, (m, _, seq) in self._objects.items()
                 if m.kind is Kind.CCA and m.sender_id == sender
                 and (address is None or m.internet_address == address)]
        return [ref for _, _, ref in sorted(found, reverse=True)]

    def _make_room_for_cca(self, meta: ObjectMeta, cost: int) -> None:
        """Apply FileStore's CCA caps and fairness (see FileStore._admit_cca)."""
        evicts = self._ccas(meta.sender_id, meta.internet_address)[CCAS_PER_ADDRESS - 1:]
        evicts += [r for r in self._ccas(meta.sender_id)[CCAS_PER_SENDER - 1:]
                   if r not in evicts]
        removed = {ref: self._objects[ref] for ref in evicts}
        for ref in evicts:
            self._objects.pop(ref)
        while self._used() + cost > self._quota.total_bytes:
            senders = [m.sender_id for m, _, _ in self._objects.values() if m.kind is Kind.CCA]
            holder = max(set(senders), key=senders.count, default=None)
            if holder is None or senders.count(holder) <= len(self._ccas(meta.sender_id)) + 1:
                self._objects.update(removed)
                raise StoreFullError("the store is full, even its reserve for CCAs")
            victim = self._ccas(holder)[-1]
            removed[victim] = self._objects.pop(victim)
        for entry in removed.values():
            self._dedup.pop((entry[0].sender_id, entry[0].message_id), None)

    def get(self, ref: str) -> bytes:
        """Return an object's bytes."""
        with self._lock:
            self._check_open()
            if ref not in self._objects:
                raise ObjectNotFoundError(f"no object {ref}")
            return self._objects[ref][1]

    def delete(self, ref: str) -> bool:
        """Delete; return whether it existed."""
        with self._lock:
            self._check_open()
            entry = self._objects.pop(ref, None)
            if entry is None:
                return False
            self._dedup.pop((entry[0].sender_id, entry[0].message_id), None)
            return True

    def _select(self, now: datetime,
                predicate: Callable[[ObjectMeta], bool]) -> list[StoredObject]:
        bound = unexpired_bound(now)
        with self._lock:
            self._check_open()
            chosen = [(meta.expiry.timestamp(), seq, ref, meta)
                      for ref, (meta, _, seq) in self._objects.items()
                      if int(meta.expiry.timestamp()) >= bound and predicate(meta)]
        return [StoredObject(ref, meta) for _, _, ref, meta in sorted(chosen)]

    def select_for_recipient(self, recipient_id: str, now: datetime) -> list[StoredObject]:
        """Return unexpired cargo for a private gateway, oldest expiry first."""
        return self._select(now, lambda m: m.recipient_id == recipient_id
                            and m.direction is Direction.TO_PRIVATE and m.kind is Kind.CARGO)

    def select_for_address(self, address: str, now: datetime, kind: Kind) -> list[StoredObject]:
        """Return unexpired cargo or CCAs for an Internet gateway, oldest expiry first."""
        return self._select(now, lambda m: m.internet_address == address
                            and m.direction is Direction.TO_INTERNET and m.kind is kind)

    def internet_addresses(self, now: datetime) -> set[str]:
        """Return the Internet gateways that have cargo or CCAs waiting."""
        found = self._select(now, lambda m: m.direction is Direction.TO_INTERNET)
        return {o.meta.internet_address for o in found if o.meta.internet_address}

    def gc(self, now: datetime) -> int:
        """Delete every expired object; return how many."""
        bound = unexpired_bound(now)
        with self._lock:
            expired = [ref for ref, (meta, _, _) in self._objects.items()
                       if int(meta.expiry.timestamp()) < bound]
        return sum(self.delete(ref) for ref in expired)

    def stats(self) -> StoreStats:
        """Return counts and sizes."""
        with self._lock:
            metas = [(m, len(d)) for m, d, _ in self._objects.values()]
        total = sum(allocated(size) for _, size in metas)
        return StoreStats(
            cargo_to_internet=sum(1 for m, _ in metas if m.kind is Kind.CARGO
                                  and m.direction is Direction.TO_INTERNET),
            cargo_to_private=sum(1 for m, _ in metas if m.kind is Kind.CARGO
                                 and m.direction is Direction.TO_PRIVATE),
            ccas=sum(1 for m, _ in metas if m.kind is Kind.CCA), bytes=total,
            quota_bytes=self._quota.total_bytes, free_bytes=self._quota.total_bytes - total,
            payload_bytes=sum(size for _, size in metas))

    def wipe(self) -> None:
        """Forget everything."""
        with self._lock:
            self._objects.clear()
            self._dedup.clear()
            self._closed = True

    def close(self) -> None:
        """Refuse further use."""
        self._closed = True
