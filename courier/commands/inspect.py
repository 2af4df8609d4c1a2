"""`courier inspect FILE`: parse and validate a cargo or CCA file and print its fields as JSON."""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from courier.clock import system_now

EXIT_VALID, EXIT_INVALID, EXIT_MALFORMED = 0, 1, 2


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `inspect` command."""
    parser = subparsers.add_parser(
        "inspect", help="show the fields of a cargo or CCA file and whether it is valid",
        description="Exit status: 0 valid, 1 invalid (signature, timing, recipient), 2 malformed.")
    parser.add_argument("file", type=Path, help="a serialised RAMF message (cargo or CCA)")
    parser.add_argument("--now", type=_aware_datetime, default=None,
                        help="ISO-8601 time to validate at (default: the system clock)")
    parser.add_argument("--bound", choices=("internet", "private"), default=None,
                        help="also check the message is bound that way (PROTOCOL.md section 4)")
    parser.set_defaults(func=_run)


def _aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _run(args: argparse.Namespace) -> int:
    from courier.protocol import (  # noqa: PLC0415 - heavy imports only when the command runs
        InvalidMessageError,
        MalformedMessageError,
        parse_message,
        validate_message,
    )

    now = args.now or system_now()
    try:
        data = args.file.read_bytes()
    except OSError as error:
        print(f"courier inspect: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return EXIT_MALFORMED
    report: dict[str, Any] = {"file": str(args.file), "size": len(data)}
    try:
        message = parse_message(data)
    except MalformedMessageError as error:
        report.update(valid=False, error="malformed", reason=error.reason, detail=str(error))
        return _print(report, EXIT_MALFORMED)
    except InvalidMessageError as error:
        report.update(valid=False, error="invalid", reason=error.reason, detail=str(error))
        return _print(report, EXIT_INVALID)
    report.update(
        type=message.message_type.name.lower(),
        id=message.id,
        recipient_id=message.recipient.id,
        recipient_internet_address=message.recipient.internet_address,
        creation_date=message.creation_date.isoformat(),
        ttl=message.ttl,
        expiry_date=message.expiry_date.isoformat(),
        sender_id=message.sender_id,
        sender_certificate_not_after=message.sender_certificate.not_after.isoformat(),
        ca_certificates=[c.node_id for c in message.ca_certificates],
        payload_size=message.payload_size,
        now=now.isoformat(),
    )
    try:
        validate_message(message, now, bound=args.bound)
    except InvalidMessageError as error:
        report.update(valid=False, error="invalid", reason=error.reason, detail=str(error))
        return _print(report, EXIT_INVALID)
    report["valid"] = True
    return _print(report, EXIT_VALID)


def _print(report: dict[str, Any], code: int) -> int:
    json.dump(report, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return code
