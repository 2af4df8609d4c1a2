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
