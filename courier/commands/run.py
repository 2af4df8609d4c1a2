"""`courier run`: the daemon."""

import argparse
import asyncio
from pathlib import Path

from courier.config import DEFAULT_CONFIG_FILE, Config


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `run` command."""
    parser = subparsers.add_parser("run", help="run the courier daemon")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE)
    parser.add_argument("--settings-file", type=Path, help="the boot partition's settings file "
                        "(default /boot/firmware/courier.toml)")
    parser.add_argument("--data-dir", type=Path, help="overrides [device] data_dir")
    parser.add_argument("--hardware", choices=("sim", "rpi"), help="overrides [device] hardware")
    parser.add_argument("--no-network", action="store_true",
                        help="do not manage the hotspot: serve at once on --listen (laptops, "
                             "tests, fixed installations on an existing LAN)")
    parser.add_argument("--listen", action="append", metavar="HOST:PORT",
                        help="CogRPC endpoint (repeatable); overrides [server] listen")
    parser.add_argument("--tls-address", help="IP address the TLS certificate names; "
                                               "overrides [server] tls_address")
    parser.add_argument("--sim-keyboard", action="store_true",
                        help="simulated board: read button presses from standard input "
                             "(Enter = short press, l = long press, w = panic wipe)")
    parser.add_argument("--no-panel", action="store_true",
                        help="no board, no session machine: only the CogRPC server")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from courier.app.memory import tune_malloc  # noqa: PLC0415

    tune_malloc()  # before grpc and the worker threads start
    from courier.app.daemon import Daemon  # noqa: PLC0415 - grpc only when running

    overrides: dict[str, dict[str, object]] = {"device": {}, "server": {}}
    if args.data_dir:
        overrides["device"]["data_dir"] = str(args.data_dir)
    if args.hardware:
        overrides["device"]["hardware"] = args.hardware
    if args.listen:
        overrides["server"]["listen"] = list(args.listen)
    if args.tls_address:
        overrides["server"]["tls_address"] = args.tls_address
    config, notices = _load(args, overrides)
    daemon = Daemon(config=config, data_dir=Path(config.device.data_dir),
                    listen=list(config.server.listen), tls_address=config.server.tls_address,
                    panel=not args.no_panel, network=not args.no_network,
                    keyboard=args.sim_keyboard, notices=notices)
    return asyncio.run(daemon.run())


def _load(args: argparse.Namespace, overrides: dict[str, dict[str, object]],
          ) -> tuple[Config, tuple[str, ...]]:
    """Return the configuration with the settings file, and what the panel asks to fix."""
    from courier.settings_load import load_with_settings, notices  # noqa: PLC0415
    from courier.settings_secrets import BOOT_SETTINGS_FILE  # noqa: PLC0415

    config, settings = load_with_settings(args.config, args.settings_file or BOOT_SETTINGS_FILE,
                                          overrides)
    # Without a hotspot (--no-network) the country does not matter: nothing to ask.
    return config, notices(config, settings, hotspot=not args.no_network)
