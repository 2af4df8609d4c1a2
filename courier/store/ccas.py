"""How many CCAs a private gateway may leave, and whose give way when the reserve is full."""

import sqlite3

from courier.store import index
from courier.store.model import StoreFullError
from courier.store.policy import CCAS_PER_ADDRESS, CCAS_PER_SENDER, allocated


def admit_cca(db: sqlite3.Connection, row: index.Row, total_bytes: int) -> list[str]:
    """Insert a CCA (inside the caller's transaction); return the refs of the CCAs it evicted.

    The sender keeps its newest CCAs up to the caps. When even the reserve is full, room is
    taken from whoever holds the most CCAs, never from one holding as few as this sender would.
    Inserted at once so that the caps count CCAs of the same round (a flood from one key).
    Raises StoreFullError, having changed nothing, when no room can be made.
    """
    db.execute("SAVEPOINT cca")  # a refused CCA evicts nothing
    try:
        evicts = index.oldest_ccas(db, row.sender_h, row.address_h, CCAS_PER_ADDRESS - 1)
        evicts += [ref for ref in index.oldest_ccas(db, row.sender_h, None, CCAS_PER_SENDER - 1)
                   if ref not in evicts]
        index.delete_refs(db, evicts)
        while index.usage(db, b"")[0] + allocated(row.size) > total_bytes:
            holder = index.biggest_cca_holder(db)
            mine = len(index.oldest_ccas(db, row.sender_h, None, 0))
            _refuse_unless(holder is not None and holder[1] > mine + 1)
            assert holder is not None
            victims = index.oldest_ccas(db, holder[0], None, holder[1] - 1)
            index.delete_refs(db, victims)
            evicts += victims
        index.insert(db, [row])
    except BaseException:
        db.execute("ROLLBACK TO cca")
        db.execute("RELEASE cca")
        raise
    db.execute("RELEASE cca")
    return evicts


def _refuse_unless(room_can_be_made: bool) -> None:
    """Refuse a CCA when no other sender holds more CCAs than it would."""
    if not room_can_be_made:
        raise StoreFullError("the store is full, even its reserve for CCAs")
