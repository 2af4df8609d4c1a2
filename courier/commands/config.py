"""`courier config show`: print the effective configuration with secrets masked."""

import argparse
import json
from pathlib import Path
from typing import Any

from courier.config import DEFAULT_CONFIG_FILE, as_masked_dict


def register(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add the `config` command."""
    parser = subparsers.add_parser("config", help="show or check the configuration")
    actions = parser.add_subparsers(dest="config_action", required=True, metavar="ACTION")
    for name, help_text in (("show", "print the effective configuration, secrets masked"),
                            ("check", "check the configuration and report every problem")):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--config", type=Path, default=DEFAULT_CONFIG_FILE,
                            help=f"configuration file (default {DEFAULT_CONFIG_FILE})")
        action.add_argument("--settings-file", type=Path, help="the boot partition's settings "
                            "file (default /boot/firmware/courier.toml)")
        action.add_argument("--json", action="store_true", help="print JSON instead of TOML")
        action.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from courier.settings_load import load_with_settings  # noqa: PLC0415
    from courier.settings_secrets import BOOT_SETTINGS_FILE  # noqa: PLC0415

    config, settings = load_with_settings(args.config, args.settings_file or BOOT_SETTINGS_FILE)
    if args.config_action == "check":
        print("\n".join(map(str, settings.problems)) or "configuration OK")
        return 1 if settings.problems else 0
    shown = as_masked_dict(config)
    print(json.dumps(shown, indent=2) if args.json else _to_toml(shown))
    return 0


def _to_toml(tables: dict[str, dict[str, Any]]) -> str:
    """Render two-level plain data as TOML (strings, numbers, booleans, lists, tables)."""
    lines: list[str] = []
    for section, values in tables.items():
        lines.append(f"[{section}]")
        nested = {k: v for k, v in values.items() if isinstance(v, dict)}
        lines.extend(f"{key} = {_value(value)}" for key, value in values.items()
                     if key not in nested)
        for key, table in nested.items():
            inline = ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in table.items())
            lines.append(f"{key} = {{ {inline} }}")
        lines.append("")
    return "\n".join(lines)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)
