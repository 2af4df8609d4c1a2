"""`courier init`: create this device's secrets (first boot); never overwrites existing ones."""

import argparse
from pathlib import Path

from courier.config import DEFAULT_CONFIG_FILE, load_config


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `init` command."""
    parser = subparsers.add_parser("init", help="create the device's keys and Wi-Fi credentials")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE)
    parser.add_argument("--data-dir", type=Path, help="overrides [device] data_dir")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from courier.cogrpc.tls import ensure_tls_key  # noqa: PLC0415
    from courier.net.credentials import ensure_wifi_credentials  # noqa: PLC0415
    from courier.store import ensure_master_key  # noqa: PLC0415

    data_dir = args.data_dir or Path(load_config(args.config).device.data_dir)
    data_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    ensure_master_key(data_dir)
    ensure_tls_key(data_dir)
    credentials = ensure_wifi_credentials(data_dir)
    print(f"device secrets ready in {data_dir / 'keys'}; Wi-Fi name {credentials.ssid}")
    return 0
