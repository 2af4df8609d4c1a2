"""The SQLite index: lookups by keyed hashes, expiry and size in the clear, metadata sealed."""

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from courier.store.policy import WAL_LIMIT_BYTES, allocated_sql

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
-- Choices made once for the life of the store, e.g. its cipher.
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Bytes each sender's objects take on the card (keyed hash) and all objects (key X''): whole
# blocks plus an index row each, kept by triggers so quota checks cost O(1).
USAGE_SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (sender_h BLOB PRIMARY KEY, bytes INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS usage_add_allocated AFTER INSERT ON objects BEGIN
    INSERT INTO usage VALUES (NEW.sender_h, COST_NEW)
        ON CONFLICT(sender_h) DO UPDATE SET bytes = bytes + COST_NEW;
    INSERT INTO usage VALUES (X'', COST_NEW)
        ON CONFLICT(sender_h) DO UPDATE SET bytes = bytes + COST_NEW;
END;
CREATE TRIGGER IF NOT EXISTS usage_remove_allocated AFTER DELETE ON objects BEGIN
    UPDATE usage SET bytes = bytes - COST_OLD WHERE sender_h IN (OLD.sender_h, X'');
END;
""".replace("COST_NEW", allocated_sql("NEW.size")).replace("COST_OLD", allocated_sql("OLD.size"))
ACCOUNTING = "allocated-v1"  # what `usage` counts; stores made before counted object sizes


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
        # The WAL file shrinks back to this after a checkpoint: it is part of the card's headroom.
        connection.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
        connection.executescript(SCHEMA + USAGE_SCHEMA)
    return connection


def migrate(connection: sqlite3.Connection) -> None:
    """Bring an older store's accounting up to date (once; atomic)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        connection.execute("DROP TRIGGER IF EXISTS usage_add")  # counted sizes, not blocks
        connection.execute("DROP TRIGGER IF EXISTS usage_remove")
        row = connection.execute("SELECT value FROM settings WHERE name = 'accounting'").fetchone()
        if row is None or row[0] != ACCOUNTING:
            connection.execute("DELETE FROM usage")
            cost = allocated_sql("size")  # constants only
            connection.execute(f"INSERT INTO usage SELECT sender_h, SUM({cost}) "  # noqa: S608
                               "FROM objects GROUP BY sender_h")
            connection.execute(f"INSERT INTO usage SELECT X'', "  # noqa: S608
                               f"COALESCE(SUM({cost}), 0) FROM objects")
            connection.execute("INSERT OR REPLACE INTO settings VALUES ('accounting', ?)",
                               (ACCOUNTING,))
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


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


def expired_refs(connection: sqlite3.Connection, bound: int, limit: int) -> list[str]:
    """Return up to `limit` refs of objects whose expiry is before `bound`."""
    return [str(ref) for (ref,) in connection.execute(
        "SELECT ref FROM objects WHERE expiry < ? ORDER BY expiry LIMIT ?", (bound, limit))]


def delete_refs(connection: sqlite3.Connection, refs: Sequence[str]) -> None:
    """Delete these rows (inside the caller's transaction)."""
    connection.executemany("DELETE FROM objects WHERE ref = ?", [(ref,) for ref in refs])


def oldest_ccas(connection: sqlite3.Connection, sender_h: bytes, address_h: bytes | None,
                keep: int) -> list[str]:
    """Return the refs of a sender's CCAs (for one address, or all) beyond the `keep` newest."""
    where, args = "kind = 'cca' AND sender_h = ?", [sender_h]
    if address_h is not None:
        where, args = where + " AND address_h = ?", [sender_h, address_h]
    rows = connection.execute(f"SELECT ref FROM objects WHERE {where} "  # noqa: S608
                              "ORDER BY expiry DESC, rowid DESC", args).fetchall()
    return [str(ref) for (ref,) in rows[keep:]]


def biggest_cca_holder(connection: sqlite3.Connection) -> tuple[bytes, int] | None:
    """Return the sender holding the most CCAs, and how many."""
    row = connection.execute("SELECT sender_h, COUNT(*) AS n FROM objects WHERE kind = 'cca' "
                             "GROUP BY sender_h ORDER BY n DESC LIMIT 1").fetchone()
    return None if row is None else (bytes(row[0]), int(row[1]))
