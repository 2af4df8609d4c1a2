"""What the store holds and answers: object metadata, references, statistics, errors."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from courier.errors import StoreError

if TYPE_CHECKING:
    from courier.protocol import RamfMessage


class Kind(StrEnum):
    """What an object is."""

    CARGO = "cargo"
    CCA = "cca"


class Direction(StrEnum):
    """Where an object is going: to an Internet gateway or to a private gateway."""

    TO_INTERNET = "to_internet"
    TO_PRIVATE = "to_private"


@dataclass(frozen=True)
class ObjectMeta:
    """The readable metadata of a stored object (kept sealed on disk)."""

    kind: Kind
    direction: Direction
    recipient_id: str
    internet_address: str | None
    sender_id: str
    message_id: str
    expiry: datetime
    size: int

    @classmethod
    def from_message(cls, message: "RamfMessage", direction: Direction) -> "ObjectMeta":
        """Return the metadata of a parsed cargo or CCA."""
        kind = Kind.CCA if message.message_type == 0x44 else Kind.CARGO
        return cls(kind=kind, direction=direction, recipient_id=message.recipient.id,
                   internet_address=message.recipient.internet_address,
                   sender_id=message.sender_id, message_id=message.id,
                   expiry=message.expiry_date, size=message.size)


@dataclass(frozen=True)
class StoredObject:
    """A stored object: its opaque reference and metadata."""

    ref: str
    meta: ObjectMeta


@dataclass(frozen=True)
class PutResult:
    """The reference of a stored object, and whether it was already there."""

    ref: str
    duplicate: bool


@dataclass(frozen=True)
class StoreStats:
    """Counts and sizes, readable without the key."""

    cargo_to_internet: int
    cargo_to_private: int
    ccas: int
    bytes: int  # what the objects take on the card (whole blocks and index rows)
    quota_bytes: int
    free_bytes: int
    quarantined: int = 0
    payload_bytes: int = 0  # the objects' own sizes


class StoreFullError(StoreError):
    """The object does not fit in the quota (or the sender's share of it)."""


class ObjectNotFoundError(StoreError):
    """No object has that reference (any more)."""


class CorruptObjectError(StoreError):
    """An object failed its integrity check; it was quarantined and will never be served."""


class KeyFileError(StoreError):
    """The store key is missing, unreadable or malformed."""


class CargoStore(Protocol):
    """What every store implementation offers (FileStore, MemoryStore)."""

    def put(self, meta: ObjectMeta, data: bytes | memoryview) -> PutResult:
        """Store durably and return the reference; duplicates return the existing one."""

    def put_many(self, items: Sequence[tuple[ObjectMeta, bytes | memoryview]],
                 ) -> list[PutResult | StoreError]:
        """Store several objects as `put` does, each getting its result or its error."""

    def get(self, ref: str) -> bytes:
        """Return the bytes of an object."""

    def delete(self, ref: str) -> bool:
        """Delete durably; return whether it existed."""

    def select_for_recipient(self, recipient_id: str, now: datetime) -> list[StoredObject]:
        """Return unexpired cargo for a private gateway, oldest expiry first."""

    def select_for_address(self, address: str, now: datetime, kind: Kind) -> list[StoredObject]:
        """Return unexpired cargo or CCAs for an Internet gateway, oldest expiry first."""

    def internet_addresses(self, now: datetime) -> set[str]:
        """Return the Internet gateways that have cargo or CCAs waiting."""

    def gc(self, now: datetime) -> int:
        """Delete expired objects and return how many."""

    def stats(self) -> StoreStats:
        """Return counts and sizes."""

    def wipe(self) -> None:
        """Destroy the key, then every object."""

    def close(self) -> None:
        """Release resources."""
