"""`courier sync-internet`: one sync with the Internet gateways, with progress and a summary."""

import argparse
import asyncio
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from courier.config import DEFAULT_CONFIG_FILE, Config, load_config, parse_endpoint
from courier.errors import StoreError


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
    parser.add_argument("--wifi", action="store_true",
                        help="join the strongest known Wi-Fi network ([[uplink.wifi]]) for this "
                        "sync, then leave it (the hotspot must be closed)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from courier.app.control import ask, socket_path  # noqa: PLC0415
    from courier.app.memory import tune_malloc  # noqa: PLC0415

    tune_malloc()  # as the daemon: multi-MiB cargo buffers go back to the kernel when freed

    config = load_config(args.config)
    data_dir = args.data_dir or Path(config.device.data_dir)
    gateways: dict[str, str] = {}
    for item in args.gateway:
        address, _, endpoint = item.partition("=")
        if not address or parse_endpoint(endpoint) is None:
            print(f"courier: --gateway {item!r} is not ADDRESS=HOST:PORT", file=sys.stderr)
            return 2
        gateways[address] = endpoint
    request: dict[str, Any] = {
        "command": "sync-internet", "gateways": gateways,
        "ca_pem": args.ca_file.read_text() if args.ca_file else None,
        "reply_wait": args.reply_wait, "timeout": args.timeout, "dns": args.dns,
        "call_budget": args.call_budget, "wifi": args.wifi}
    tty = sys.stdout.isatty()

    def show(progress: dict[str, Any]) -> None:
        if "wifi" in progress:  # the Wi-Fi uplink's steps, one line each
            print(("\r\033[K" if tty else "") + f"Wi-Fi: {progress['wifi']}", flush=True)
            return
        line = f"{progress['gateway']}: {progress['phase']}"
        if progress.get("items_total"):
            line += (f" {progress['items_done']}/{progress['items_total']} cargo, "
                     f"{progress['bytes_done'] / 1e6:.1f}/{progress['bytes_total'] / 1e6:.1f} MB")
        print(("\r\033[K" + line) if tty else line, end="" if tty else "\n", flush=True)

    # The daemon owns the store: ask it; without a daemon, open the store here.
    answer = asyncio.run(ask(socket_path(data_dir), request, show))
    if answer is None:
        answer = _sync_here(config, data_dir, request, show)
    if tty:
        print()
    if "error" in answer:
        print(f"courier: {answer['error']}", file=sys.stderr)
        return 2
    status = _summary(answer["report"])
    if answer.get("wifi"):  # synced, but the Wi-Fi sequence itself failed (e.g. leaving)
        print(f"courier: Wi-Fi: {answer['wifi']}", file=sys.stderr)
        return max(status, 1)
    return status


def _sync_here(config: Config, data_dir: Path, request: dict[str, Any],
               show: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Sync with the store opened by this process (no daemon is running)."""
    from courier.app.device import open_clock, open_store  # noqa: PLC0415
    from courier.app.internet_sync import SyncReport, report_lines, sync_with  # noqa: PLC0415
    from courier.clock import system_now  # noqa: PLC0415

    try:
        store = open_store(config, data_dir)
    except StoreError as error:
        return {"error": str(error)}
    try:
        # No daemon runs: this process reads the device's clock as the daemon would.
        clock = open_clock(data_dir, Path(config.clock.ntp_flag))

        async def sync() -> SyncReport:
            return await sync_with(
                config, store, data_dir,
                lambda: clock.effective_now(system_now(), time.monotonic()), request,
                lambda p: show(dataclasses.asdict(p)))
        if request.get("wifi"):
            from courier.commands.sync_wifi import wifi_here  # noqa: PLC0415

            held = store.internet_addresses(clock.effective_now(system_now(), time.monotonic()))
            return asyncio.run(wifi_here(config, held, request["gateways"], sync,
                                         lambda text: show({"wifi": text})))
        report = asyncio.run(sync())
    finally:
        store.close()
    return {"report": report_lines(report)}


def _summary(gateways: list[dict[str, Any]]) -> int:
    """Print one line per gateway; 0 if all went through."""
    if not gateways:
        print("nothing to sync: no cargo or CCA for any Internet gateway")
    for g in gateways:
        print(f"{g['address']}: delivered {g['delivered']}, collected {g['collected']}, "
              f"CCAs used {g['ccas_used']} (dropped {g['ccas_dropped']}, kept {g['ccas_kept']}), "
              f"left {g['undelivered']}" + (f", rejected {g['rejected']}" if g["rejected"] else "")
              + (f" in {g['calls']} calls ({g['cuts']} cut)" if g["calls"] else "")
              + (f" - {g['too_big_note']}" if g["too_big_note"] else "")
              + (f" - FAILED: {g['error']}" if g["error"] else " - ok" if g["ok"] else ""))
    return 0 if all(g["ok"] for g in gateways) else 1
