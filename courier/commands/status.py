"""`courier status`: what the store holds (works while the daemon runs; needs no key)."""

import argparse
import dataclasses
import json
from pathlib import Path

from courier.app.sync_outcome import read_outcome
from courier.app.too_big import read_too_big
from courier.config import DEFAULT_CONFIG_FILE, load_config
from courier.store import read_stats
from courier.update.trust import describe, running_version, update_ca


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `status` command."""
    parser = subparsers.add_parser("status", help="show what the courier holds")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE)
    parser.add_argument("--data-dir", type=Path, help="overrides [device] data_dir")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    data_dir = args.data_dir or Path(config.device.data_dir)
    stats = read_stats(data_dir, config.store.quota_bytes, config.store.quota_fraction)
    too_big = read_too_big(data_dir)
    last = read_outcome(data_dir)
    if args.json:
        print(json.dumps({**dataclasses.asdict(stats), "too_big_for_android": too_big.cargo,
                          "too_big_gateways": too_big.gateways,
                          "too_big_for_uplink": list(last.too_big_for_uplink) if last else [],
                          "last_internet_sync": last.at if last else None,
                          "version": running_version(), "update_ca": update_ca()},
                         sort_keys=True))
        return 0
    print(f"cargo for the Internet:       {stats.cargo_to_internet}")
    print(f"cargo for private gateways:   {stats.cargo_to_private}")
    print(f"collection authorizations:    {stats.ccas}")
    print(f"stored: {stats.bytes / 1e6:.1f} MB of {stats.quota_bytes / 1e6:.0f} MB quota, "
          f"{stats.free_bytes / 1e6:.0f} MB free on the card")
    if too_big.cargo:
        gateways = f"{too_big.gateways} gateway" + ("s" if too_big.gateways != 1 else "")
        print(f"{too_big.cargo} cargo too big for Android phones (for {gateways}; a desktop "
              "gateway can collect them)")
    if last is not None:
        print(f"last Internet sync: {last.at[:16].replace('T', ' ')} UTC, "
              + ("ok" if last.ok else "not everything went through")
              + (f"; {last.note}: kept for a faster uplink" if last.note else ""))
    if stats.quarantined:
        print(f"quarantined (failed integrity check): {stats.quarantined}")
    print(f"courier {running_version()}; {describe(update_ca())}")
    return 0
