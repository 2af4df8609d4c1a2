"""The `courier` command line: one sub-command per module in `courier.commands`."""

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from courier import __version__
from courier.errors import CourierError

# Each module defines `register(subparsers)`; heavy imports happen inside the command itself.
COMMAND_MODULES: tuple[str, ...] = (
    "courier.commands.config",
    "courier.commands.init",
    "courier.commands.inspect",
    "courier.commands.net_setup",
    "courier.commands.run",
    "courier.commands.settings",
    "courier.commands.status",
    "courier.commands.sync_internet",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="courier", description=__doc__)
    parser.add_argument("--version", action="version", version=f"courier {__version__}")
    parser.add_argument(
        "--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="how much to log to standard error",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.func(args)
    except CourierError as error:
        print(f"courier: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
