"""The CCA of a CollectCargo call: read from its metadata, validated, persisted (PROTOCOL.md 5)."""

import asyncio
import base64
import binascii
import logging
from collections.abc import Callable
from datetime import datetime

from courier.cogrpc.counters import ServerCounters
from courier.errors import ProtocolError, StoreError
from courier.protocol import MessageType, RamfMessage, parse_message
from courier.protocol import validate_message as validate
from courier.protocol.validation import check_sender_issued_by_recipient
from courier.reasons import Reason
from courier.store import CargoStore, Direction, ObjectMeta

LOG = logging.getLogger(__name__)
CCA_PREFIXES = ("Relaynet-CCA ", "Awala-CCA ")  # as the clients send it; the spec's spelling
MAX_CCA_HEADER = 16 * 1024


async def accept_cca(header: str | None, counters: ServerCounters,
                     validation_now: Callable[[datetime], datetime],
                     on_message: Callable[[str, datetime], None]) -> RamfMessage | None:
    """Return the CCA once its header is parsed and the CCA validated, or None (counted)."""
    if header is None:
        counters.reject(Reason.MISSING, prefix="cca_")
        return None
    prefix = next((p for p in CCA_PREFIXES if header.startswith(p)), None)
    if prefix is None or len(header) > MAX_CCA_HEADER:
        counters.reject(Reason.MALFORMED, prefix="cca_")
        return None
    try:
        raw = base64.b64decode(header[len(prefix):], validate=True)
        cca = await asyncio.to_thread(parse_message, raw, MessageType.CCA)
        validate(cca, validation_now(cca.creation_date), bound="internet")
        # A private gateway's certificate is issued by its Internet gateway, the CCA's recipient
        # (PROTOCOL.md 5): a CCA from anyone else could only fill the store (docs/store.md).
        check_sender_issued_by_recipient(cca)
    except (binascii.Error, ValueError):
        counters.reject(Reason.MALFORMED, prefix="cca_")
        return None
    except ProtocolError as error:
        counters.reject(error.reason, prefix="cca_")
        return None
    on_message(cca.sender_id, cca.creation_date)
    counters.add(ccas_accepted=1)
    return cca


async def persist_cca(store: CargoStore, cca: RamfMessage, counters: ServerCounters) -> None:
    """Store the CCA durably (deduplicated by sender and id); a failure is counted."""
    try:
        await asyncio.to_thread(store.put, ObjectMeta.from_message(cca, Direction.TO_INTERNET),
                                cca.serialized)
    except StoreError as error:
        LOG.warning("could not persist a CCA: %s", error)
        counters.reject(Reason.NOT_STORED, prefix="cca_")
