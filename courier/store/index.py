"""The SQLite index: lookups by keyed hashes, expiry and size in the clear, metadata sealed."""

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    ref TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    direction TEXT NOT NULL,
    recipient_h BLOB NOT NULL,
    address_h BLOB,
    sender_h BLOB NOT NULL,
    dedup_h BLOB NOT NULL UNIQUE,
    expiry INTEGER NOT NULL,
    size INTEGER NOT NULL,
    meta BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS by_recipient ON objects (recipient_h, direction, kind, expiry);
CREATE INDEX IF NOT EXISTS by_address ON objects (address_h, direction, kind, expiry);
CREATE INDEX IF NOT EXISTS by_sender ON objects (sender_h);
CREATE INDEX IF NOT EXISTS by_expiry ON objects (expiry);
-- Bytes stored per sender (keyed hash) and in all (key X''), kept by triggers so quota checks
-- cost O(1) whatever the number of objects.
CREATE TABLE IF NOT EXISTS usage (sender_h BLOB PRIMARY KEY, bytes INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS usage_add AFTER INSERT ON objects BEGIN
    INSERT INTO usage VALUES (NEW.sender_h, NEW.size)
        ON CONFLICT(sender_h) DO UPDATE SET bytes = bytes + NEW.size;
    INSERT INTO usage VALUES (X'', NEW.size)
        ON CONFLICT(sender_h) DO UPDATE SET bytes = bytes + NEW.size;
END;
-- Choices made once for the life of the store, e.g. its cipher.
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS usage_remove AFTER DELETE ON objects BEGIN
    UPDATE usage SET bytes = bytes - OLD.size WHERE sender_h IN (OLD.sender_h, X'');
END;
"""


@dataclass(frozen=True)
class Row:
    """One index row."""

    ref: str
    kind: str
    direction: str
    recipient_h: bytes
    address_h: bytes | None
    sender_h: bytes
    dedup_h: bytes
    expiry: int
    size: int
    meta: bytes


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the index in WAL mode.

    synchronous=NORMAL: a commit is not flushed by SQLite itself; the store flushes each
    group-commit round once (syncfs covers the WAL, the object files and the directory) and only
    then acknowledges. A commit lost to power before that flush was never acknowledged.
    """
    uri = f"file:{path}?mode={'ro' if readonly else 'rwc'}"
    connection = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False,
                                 isolation_level=None)
    if not readonly:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
    return connection


def settle(connection: sqlite3.Connection, name: str, choose: Callable[[], str]) -> str:
    """Return the setting, first storing `choose()` if it has none (atomic across processes)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        row = connection.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        if row is None:
            value = choose()
            connection.execute("INSERT INTO settings VALUES (?, ?)", (name, value))
        else:
            value = str(row[0])
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return value


def has_objects(connection: sqlite3.Connection) -> bool:
    """Tell whether any object is indexed."""
    return connection.execute("SELECT 1 FROM objects LIMIT 1").fetchone() is not None


def insert(connection: sqlite3.Connection, rows: Iterable[Row]) -> None:
    """Insert rows (inside the caller's transaction)."""
    connection.executemany(
        "INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(r.ref, r.kind, r.direction, r.recipient_h, r.address_h, r.sender_h, r.dedup_h,
          r.expiry, r.size, r.meta) for r in rows])


def find_duplicate(connection: sqlite3.Connection, dedup_h: bytes) -> str | None:
    """Return the ref already stored under this (sender, message id), if any."""
    row = connection.execute("SELECT ref FROM objects WHERE dedup_h = ?", (dedup_h,)).fetchone()
    return None if row is None else str(row[0])


def usage(connection: sqlite3.Connection, sender_h: bytes) -> tuple[int, int]:
    """Return (bytes used by all objects, bytes used by this sender)."""
    found = dict(connection.execute(
        "SELECT sender_h, bytes FROM usage WHERE sender_h IN (X'', ?)", (sender_h,)).fetchall())
    return int(found.get(b"", 0)), int(found.get(sender_h, 0))


def counts(connection: sqlite3.Connection) -> dict[tuple[str, str], tuple[int, int]]:
    """Return {(kind, direction): (count, bytes)}."""
    return {(kind, direction): (int(n), int(size)) for kind, direction, n, size in
            connection.execute("SELECT kind, direction, COUNT(*), COALESCE(SUM(size), 0) "
                               "FROM objects GROUP BY kind, direction")}
