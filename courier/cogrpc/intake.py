"""What a worker thread does with a batch of delivered cargo: check each, store the valid ones."""

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from courier.cogrpc.wire import Received
from courier.errors import ProtocolError, StoreError
from courier.protocol import MAX_MESSAGE_SIZE, MessageType, parse_message
from courier.protocol import validate_message as validate
from courier.reasons import DATE_REASONS, Reason
from courier.store import CargoStore, Direction, ObjectMeta

# Refusals caused by a date alone (DATE_REASONS): with an untrusted clock the fault may be ours,
# so such cargo is not acknowledged (the gateway keeps it and offers it again) rather than dropped.


class Refused(NamedTuple):
    """A cargo refused without an ack, for a date fault that our untrusted clock may cause."""

    reason: Reason


class Signed(NamedTuple):
    """Who signed a stored message, and when it was made (what the clock learns from it)."""

    sender_id: str
    creation_date: datetime


def validate_and_store(batch: list[Received], store: CargoStore,
                       validation_now: Callable[[datetime], datetime],
                       refuse_date_faults: bool = False,
                       ) -> list[Signed | Refused | Reason | StoreError]:
    """Parse, verify and validate each cargo as Internet-bound; store the valid ones durably.

    Each delivery comes to who signed it and when (stored, or a duplicate of one stored), the
    reason it was dropped, a refusal (`refuse_date_faults`: the clock is untrusted), or the
    store's error: nothing that holds on to the cargo, which must go as soon as its claim ends.
    """
    outcomes: list[Signed | Refused | Reason | StoreError] = []
    valid: list[tuple[ObjectMeta, memoryview]] = []
    for delivery in batch:
        if delivery.span.size > MAX_MESSAGE_SIZE:
            outcomes.append(Reason.OVERSIZE)
            continue
        buffer, start = delivery.in_place()  # the cargo is parsed where gRPC left it
        try:
            message = parse_message(buffer, MessageType.CARGO, start)
            validate(message, validation_now(message.creation_date), bound="internet")
        except ProtocolError as error:
            reason = error.reason
            refused = refuse_date_faults and reason in DATE_REASONS
            outcomes.append(Refused(reason) if refused else reason)
            continue
        outcomes.append(Signed(message.sender_id, message.creation_date))
        valid.append((ObjectMeta.from_message(message, Direction.TO_INTERNET),
                      message.serialized_view))
    if not valid:
        return outcomes
    stored = iter(store.put_many(valid))
    for number, outcome in enumerate(outcomes):
        if isinstance(outcome, Signed) and isinstance(result := next(stored), StoreError):
            outcomes[number] = result
    return outcomes
