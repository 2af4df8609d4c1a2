"""`courier sync-internet`: one sync with the Internet gateways, with progress and a summary."""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from courier.config import DEFAULT_CONFIG_FILE, load_config, parse_endpoint


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `sync-internet` command."""
    parser = subparsers.add_parser(
        "sync-internet", help="deliver cargo to Internet gateways and collect their replies")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE)
    parser.add_argument("--data-dir", type=Path, help="overrides [device] data_dir")
    parser.add_argument("--gateway", action="append", default=[], metavar="ADDRESS=HOST:PORT",
                        help="reach ADDRESS at HOST:PORT instead of its DNS SRV record")
    parser.add_argument("--ca-file", type=Path, help="extra trusted CA certificates (PEM)")
    parser.add_argument("--reply-wait", type=float, help="seconds to wait for replies")
    parser.add_argument("--dns", metavar="HOST:PORT", help="DNS server for SRV lookups")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="deadline of each call to a gateway, in seconds (default 20)")
    parser.add_argument("--call-budget", type=float, default=3.5,
                        help="seconds each delivery call aims for (default 3.5: the production "
                        "gateway cuts every call at 5 s)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from courier.app.memory import tune_malloc  # noqa: PLC0415

    tune_malloc()  # as the daemon: multi-MiB cargo buffers go back to the kernel when freed
    from courier.app.internet_sync import Progress, SyncOptions, run_sync  # noqa: PLC0415
    from courier.store import FileStore  # noqa: PLC0415

    config = load_config(args.config)
    data_dir = args.data_dir or Path(config.device.data_dir)
    overrides = dict(config.internet.gateways)
    for item in args.gateway:
        address, _, endpoint = item.partition("=")
        if not address or parse_endpoint(endpoint) is None:
            print(f"courier: --gateway {item!r} is not ADDRESS=HOST:PORT", file=sys.stderr)
            return 2
        overrides[address] = endpoint
    ca_file = args.ca_file or (Path(config.internet.ca_file) if config.internet.ca_file else None)
    options = SyncOptions(
        overrides=overrides, ca_pem=ca_file.read_bytes() if ca_file else None,
        reply_wait=config.internet.reply_wait_seconds if args.reply_wait is None
        else args.reply_wait, concurrency=config.internet.concurrency,
        nameserver=parse_endpoint(args.dns) if args.dns else None, timeout=args.timeout,
        call_budget=args.call_budget)
    tty = sys.stdout.isatty()

    def show(progress: Progress) -> None:
        line = f"{progress.gateway}: {progress.phase}"
        if progress.items_total:
            line += (f" {progress.items_done}/{progress.items_total} cargo, "
                     f"{progress.bytes_done / 1e6:.1f}/{progress.bytes_total / 1e6:.1f} MB")
        print(("\r\033[K" + line) if tty else line, end="" if tty else "\n", flush=True)

    settings = config.store
    store = FileStore.open(data_dir, quota_bytes=settings.quota_bytes,
                           quota_fraction=settings.quota_fraction,
                           cca_reserve_bytes=settings.cca_reserve_bytes,
                           per_sender_fraction=settings.per_sender_fraction)
    try:
        # The command's clock until it asks the running daemon (which has the trusted one).
        report = asyncio.run(run_sync(store, data_dir / "state", options,
                                      lambda: datetime.now(UTC), show))
    finally:
        store.close()
    if tty:
        print()
    if not report.gateways:
        print("nothing to sync: no cargo or CCA for any Internet gateway")
    for g in report.gateways:
        print(f"{g.address}: delivered {g.delivered}, collected {g.collected}, "
              f"CCAs used {g.ccas_used} (dropped {g.ccas_dropped}, kept {g.ccas_kept}), "
              f"left {g.undelivered}" + (f", rejected {g.rejected}" if g.rejected else "")
              + (f" in {g.calls} calls ({g.cuts} cut)" if g.calls else "")
              + (f" - {g.too_big_note}" if g.too_big_note else "")
              + (f" - FAILED: {g.error}" if g.error else " - ok" if g.ok else ""))
    return 0 if report else 1
