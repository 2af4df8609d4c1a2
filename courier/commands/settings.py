"""`courier settings`: the settings file on the boot partition (apply at boot, check, template)."""

import argparse
import contextlib
import logging
import subprocess
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from courier.config import DEFAULT_CONFIG_FILE

LOG = logging.getLogger(__name__)
MOUNT = "/usr/bin/mount"


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
        if name == "apply":
            action.add_argument("--remount", action="store_true",
                                help="remount the file's read-only file system writable while "
                                     "moving (the image mounts /boot/firmware read-only)")


def _run(args: argparse.Namespace) -> int:
    from courier.config import load_config  # noqa: PLC0415
    from courier.imager_apply import neutralise  # noqa: PLC0415
    from courier.settings_secrets import load_settings, move_secrets  # noqa: PLC0415

    if args.settings_action == "template":
        print(template(), end="")
        return 0
    data_dir = args.data_dir or Path(load_config(args.config).device.data_dir)
    if args.settings_action == "apply":
        with _writable(args.file, args.remount):
            neutralise(args.file.parent, data_dir)  # Imager first: its Wi-Fi joins the others
            moved = move_secrets(args.file, data_dir)
        print(f"{moved} secret(s) moved from {args.file}")
    settings = load_settings(args.file, data_dir)
    for problem in settings.problems:
        LOG.warning("%s", problem)
    if args.settings_action == "check":
        print("\n".join(map(str, settings.problems)) or f"{args.file}: OK")
        return 1 if settings.problems else 0
    return 0


@contextlib.contextmanager
def _writable(path: Path, remount: bool) -> Iterator[None]:
    """Remount the file's file system read-write only when it holds secrets to move."""
    from courier.imager_apply import find_customisation  # noqa: PLC0415
    from courier.settings_secrets import find_secrets  # noqa: PLC0415

    try:
        needed = remount and (bool(find_secrets(path.read_bytes().decode("utf-8", "replace")))
                              or find_customisation(path.parent) is not None)
    except OSError:
        needed = remount and find_customisation(path.parent) is not None
    mount_point = _mount_point(path) if needed else None
    if mount_point is not None:
        _remount(mount_point, "rw", check=True)
    try:
        yield
    finally:
        if mount_point is not None:
            _remount(mount_point, "ro", check=False)


def _remount(mount_point: Path, mode: str, *, check: bool) -> None:
    # A fixed program and our own mount point: no input from outside reaches the command.
    subprocess.run([MOUNT, "-o", f"remount,{mode}", str(mount_point)],  # noqa: S603
                   check=check, timeout=30)


def _mount_point(path: Path) -> Path:
    folder = path.resolve().parent
    while not folder.is_mount() and folder != folder.parent:
        folder = folder.parent
    return folder


def template() -> str:
    """Return the commented settings template shipped in the package."""
    return resources.files("courier").joinpath("settings_template.toml").read_text("utf-8")
