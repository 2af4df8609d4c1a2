"""`courier net-setup`: the privileged network helper: firewall, hotspot address, DHCP, Wi-Fi."""

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from courier.config import DEFAULT_CONFIG_FILE

LOG = logging.getLogger(__name__)


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `net-setup` command."""
    parser = subparsers.add_parser(
        "net-setup", help="run the privileged network helper (courier-net.service)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE)
    parser.add_argument("--settings-file", type=Path, help="the boot partition's settings file "
                        "(default /boot/firmware/courier.toml)")
    parser.add_argument("--data-dir", type=Path, help="overrides [device] data_dir")
    parser.add_argument("--run-dir", type=Path, default=Path("/run/courier-net"),
                        help="rendered configs, leases and the control socket")
    parser.add_argument("--interface", help="overrides [hotspot] interface")
    parser.add_argument("--open", action="store_true",
                        help="open the hotspot at once (fixed installations, tests)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(_serve(args))


async def _serve(args: argparse.Namespace) -> int:
    from courier.net.client_mode import ClientMode  # noqa: PLC0415
    from courier.net.credentials import load_wifi_credentials  # noqa: PLC0415
    from courier.net.netsetup import NetSetup  # noqa: PLC0415
    from courier.net.plan import make_plan  # noqa: PLC0415
    from courier.net.render import RadioSettings  # noqa: PLC0415
    from courier.settings_load import load_with_settings  # noqa: PLC0415
    from courier.settings_secrets import BOOT_SETTINGS_FILE  # noqa: PLC0415

    overrides = {"device": {"data_dir": str(args.data_dir)}} if args.data_dir else None
    config, _ = load_with_settings(args.config, args.settings_file or BOOT_SETTINGS_FILE,
                                   overrides)
    hotspot = config.hotspot
    data_dir = Path(config.device.data_dir)
    interface = args.interface or hotspot.interface
    networks = config.uplink.wifi
    setup = NetSetup(
        plan=make_plan(interface, hotspot.subnet),
        credentials=load_wifi_credentials(data_dir),
        radio=RadioSettings(country=hotspot.country, channel=hotspot.channel,
                            max_clients=hotspot.max_clients, wpa3=hotspot.wpa3),
        run_dir=args.run_dir,
        lan_interfaces=hotspot.lan_interfaces,
        client=ClientMode(interface, networks, hotspot.country, args.run_dir) if networks else None,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await setup.start()
    server = await setup.serve_control(args.run_dir / "control.sock")
    try:
        if args.open:
            await setup.open_hotspot()
        print("net-setup ready", flush=True)
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()
        await setup.stop()
        with contextlib.suppress(FileNotFoundError):
            (args.run_dir / "control.sock").unlink()
    return 0
