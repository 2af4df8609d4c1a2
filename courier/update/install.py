"""Privileged install of a bundle: signature checked by rauc, never an older version."""

import configparser
import json
import subprocess
import sys
from importlib.metadata import version as dist_version
from pathlib import Path

RAUC = "/usr/bin/rauc"
SYSTEM_CONF = Path("/etc/rauc/system.conf")


class UpdateRefusedError(Exception):
    """The bundle is not for this device, not signed by its CA, or older than the system."""


def parse_version(text: str) -> tuple[int, ...]:
    """Return a dotted release version as numbers ('0.10.2' -> (0, 10, 2))."""
    bad = f"bundle version {text!r} is not a release number like 0.2.0"
    try:
        parts = tuple(int(p) for p in text.strip().split("."))
    except ValueError:
        raise UpdateRefusedError(bad) from None
    if not parts or any(p < 0 for p in parts):
        raise UpdateRefusedError(bad)
    return parts


def check_not_older(bundle: str, running: str) -> None:
    """Refuse a bundle older than the running system (a downgrade could reopen fixed holes)."""
    if parse_version(bundle) < parse_version(running):
        raise UpdateRefusedError(f"bundle {bundle} is older than the running {running}, refused")


def bundle_info(bundle: Path, rauc_args: tuple[str, ...] = ()) -> dict[str, object]:
    """Ask rauc for the bundle's verified manifest; refuse with rauc's reason if it will not."""
    done = subprocess.run(  # noqa: S603
        [RAUC, "info", "--output-format=json", *rauc_args, str(bundle)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        reason = [ln for ln in done.stderr.splitlines() if "rauc-Message" not in ln]
        why = " ".join(reason).strip() or "rauc info failed"
        raise UpdateRefusedError(f"{bundle.name} refused: {why}")
    info = json.loads(done.stdout)
    if not isinstance(info, dict):
        raise UpdateRefusedError(f"{bundle.name}: unexpected rauc info output")
    return info


def check_bundle(bundle: Path, running: str, rauc_args: tuple[str, ...] = (),
                 compatible: str | None = None) -> str:
    """Return the bundle's version once signature, compatibility and version are acceptable."""
    info = bundle_info(bundle, rauc_args)
    found_for = str(info.get("compatible", ""))
    if compatible is not None and found_for != compatible:
        raise UpdateRefusedError(f"{bundle.name} is not compatible: made for {found_for[:60]!r}, "
                                 f"this device is {compatible!r}")
    found = str(info.get("version", ""))
    check_not_older(found, running)
    return found


def system_compatible(conf: Path = SYSTEM_CONF) -> str | None:
    """Return this device's RAUC compatible string (None without a system.conf: not a device)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(conf.read_text())
    except (OSError, configparser.Error):
        return None
    return parser.get("system", "compatible", fallback=None)


def main(argv: list[str] | None = None) -> int:
    """Check then install a bundle: courier-update-install PATH.raucb."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m courier.update.install BUNDLE.raucb", file=sys.stderr)
        return 2
    bundle = Path(args[0])
    running = dist_version("relaynet-courier")
    try:
        found = check_bundle(bundle, running, compatible=system_compatible())
    except UpdateRefusedError as exc:
        print(f"courier-update: {exc}", file=sys.stderr)
        return 1
    print(f"courier-update: installing {found} over {running}", flush=True)
    return subprocess.run([RAUC, "install", str(bundle)], check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
