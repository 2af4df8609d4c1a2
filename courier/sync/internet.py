"""Internet-sync decisions, sans I/O: what becomes of a CCA after a collection call, and when."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class CcaFate(Enum):
    """What to do with a CCA once a CollectCargo call with it has ended."""

    DELETE = "delete"  # used, or it will never work: never present it again
    RETRY = "retry"  # the gateway could not answer: keep it, try later


# gRPC status name -> fate (PROTOCOL.md section 8). A CCA is single-use: after OK it is spent; a
# gateway that refused it (already used, not for it, invalid) will refuse it forever.
FATES: dict[str, CcaFate] = {
    "OK": CcaFate.DELETE,
    "PERMISSION_DENIED": CcaFate.DELETE,
    "INVALID_ARGUMENT": CcaFate.DELETE,
    "UNAUTHENTICATED": CcaFate.DELETE,
    "UNAVAILABLE": CcaFate.RETRY,
    "DEADLINE_EXCEEDED": CcaFate.RETRY,
    "RESOURCE_EXHAUSTED": CcaFate.RETRY,
    "INTERNAL": CcaFate.RETRY,
    "UNKNOWN": CcaFate.RETRY,
    "CANCELLED": CcaFate.RETRY,
    "NETWORK": CcaFate.RETRY,  # no gRPC status: connection refused, TLS failure, DNS
}
BASE_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)


def cca_fate(status: str) -> CcaFate:
    """Return the fate of a CCA after a call that ended with this status (unknown: retry)."""
    return FATES.get(status, CcaFate.RETRY)


@dataclass(frozen=True)
class Retry:
    """A CCA kept for later: how often it failed and when to try again."""

    failures: int
    next_attempt: datetime


def after_failure(previous: Retry | None, now: datetime) -> Retry:
    """Return the next retry: exponential backoff from 1 minute, capped at 6 hours."""
    failures = 1 if previous is None else previous.failures + 1
    delay = min(BASE_BACKOFF * (2 ** (failures - 1)), MAX_BACKOFF)
    return Retry(failures, now + delay)


def is_due(retry: Retry | None, now: datetime) -> bool:
    """Tell whether a CCA may be presented now."""
    return retry is None or now >= retry.next_attempt
