"""`courier settings`: the settings file on the boot partition (apply at boot, check, template)."""

import argparse
import logging
from importlib import resources
from pathlib import Path

from courier.config import DEFAULT_CONFIG_FILE

LOG = logging.getLogger(__name__)


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `settings` command."""
    from courier.settings_secrets import BOOT_SETTINGS_FILE  # noqa: PLC0415

    parser = subparsers.add_parser("settings", help="the settings file on the boot partition")
    actions = parser.add_subparsers(dest="settings_action", required=True, metavar="ACTION")
    for name, help_text in (
            ("apply", "move its secrets to the data partition, blank them, log every problem"),
            ("check", "report every problem with its line (exit 1 if any)"),
            ("template", "print the commented template the image ships")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--file", type=Path, default=BOOT_SETTINGS_FILE,
                            help=f"the settings file (default {BOOT_SETTINGS_FILE})")
        action.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE)
        action.add_argument("--data-dir", type=Path, help="overrides [device] data_dir")
        action.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from courier.config import load_config  # noqa: PLC0415
    from courier.settings_secrets import load_settings, move_secrets  # noqa: PLC0415

    if args.settings_action == "template":
        print(template(), end="")
        return 0
    data_dir = args.data_dir or Path(load_config(args.config).device.data_dir)
    if args.settings_action == "apply":
        moved = move_secrets(args.file, data_dir)
        print(f"{moved} secret(s) moved from {args.file}")
    settings = load_settings(args.file, data_dir)
    for problem in settings.problems:
        LOG.warning("%s", problem)
    if args.settings_action == "check":
        print("\n".join(map(str, settings.problems)) or f"{args.file}: OK")
        return 1 if settings.problems else 0
    return 0


def template() -> str:
    """Return the commented settings template shipped in the package."""
    return resources.files("courier").joinpath("settings_template.toml").read_text("utf-8")
