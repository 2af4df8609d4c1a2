"""Quota policy shared by every store: a reserve keeps CCAs acceptable when cargo is refused."""

from dataclasses import dataclass

from courier.store.model import Kind, StoreFullError


@dataclass(frozen=True)
class Quota:
    """How much the store may hold, and how it is shared."""

    total_bytes: int
    cca_reserve_bytes: int = 16 * 1024 * 1024
    per_sender_fraction: float = 0.25

    def check(self, kind: Kind, size: int, used: int, sender_used: int) -> None:
        """Raise StoreFullError unless an object of `size` may be added."""
        if kind is Kind.CCA:
            # CCAs may use the reserve: a gateway must always be able to collect its cargo,
            # which is what frees space (the Android courier refuses them when full).
            if used + size > self.total_bytes:
                raise StoreFullError("the store is full, even its reserve for CCAs")
            return
        if used + size > self.total_bytes - self.cca_reserve_bytes:
            raise StoreFullError("the store is full: no more cargo until some is delivered")
        if sender_used + size > self.per_sender_fraction * self.total_bytes:
            raise StoreFullError("this gateway has used its share of the store")


# ---- what an object really costs on the card -------------------------------------------------

BLOCK_BYTES = 4096  # ext4's block: an object file takes whole blocks
# An index row with its sealed metadata and its entries in the five indexes, rounded up from
# what a 100 000-object ext4 store measured (bench/bench_store.py prints the figure).
ROW_BYTES = 1024
SEAL_BYTES = 16  # the AEAD tag stored after the ciphertext (keys.SEAL_OVERHEAD)
# Left free on the filesystem whatever the quota says: the index's write-ahead log (capped at
# WAL_LIMIT_BYTES), its growth inside a commit round, and temporary files.
FS_HEADROOM_BYTES = 8 * 1024 * 1024
WAL_LIMIT_BYTES = 4 * 1024 * 1024


def allocated(size: int) -> int:
    """Return the bytes an object of `size` takes on the card: whole blocks plus its index row."""
    return -(-(size + SEAL_BYTES) // BLOCK_BYTES) * BLOCK_BYTES + ROW_BYTES


def allocated_sql(column: str) -> str:
    """Return `allocated` as an SQL expression of an integer column (for the usage triggers)."""
    return (f"(((({column}) + {SEAL_BYTES + BLOCK_BYTES - 1}) / {BLOCK_BYTES}) * {BLOCK_BYTES}"
            f" + {ROW_BYTES})")


def check_card(kind: Kind, free_bytes: int, cca_reserve_bytes: int) -> None:
    """Raise StoreFullError unless the filesystem keeps its headroom with the object written."""
    needed = FS_HEADROOM_BYTES + (0 if kind is Kind.CCA else cca_reserve_bytes)
    if free_bytes < needed:
        raise StoreFullError("the card is full: no more cargo until some is delivered"
                             if kind is Kind.CARGO else "the card is full, even for CCAs")


# ---- how many CCAs one private gateway may leave ---------------------------------------------

# The newest CCA per (sender, Internet gateway) and a few spares for later visits (each sync
# uses one per private gateway); a cap per sender across gateways, so one key cannot fill the
# CCA reserve and push out everybody else's.
CCAS_PER_ADDRESS = 3
CCAS_PER_SENDER = 8
