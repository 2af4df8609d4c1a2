"""Encrypted, power-loss-safe store of cargo and CCAs."""

from courier.store.filestore import FileStore
from courier.store.keys import ensure_master_key
from courier.store.memory import MemoryStore
from courier.store.model import (
    CargoStore,
    CorruptObjectError,
    Direction,
    KeyFileError,
    Kind,
    ObjectMeta,
    ObjectNotFoundError,
    PutResult,
    StoredObject,
    StoreFullError,
    StoreStats,
)
from courier.store.policy import Quota
from courier.store.stats import read_stats

__all__ = [
    "CargoStore",
    "CorruptObjectError",
    "Direction",
    "FileStore",
    "KeyFileError",
    "Kind",
    "MemoryStore",
    "ObjectMeta",
    "ObjectNotFoundError",
    "PutResult",
    "Quota",
    "StoreFullError",
    "StoreStats",
    "StoredObject",
    "ensure_master_key",
    "read_stats",
]
