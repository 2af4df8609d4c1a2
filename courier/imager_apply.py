"""Neutralise Raspberry Pi Imager's customisation at boot: keep what we use, restore a normal boot.

Run by `courier settings apply` (root, before the courier starts). What is taken is kept in
<data dir>/keys/imager.json (the Wi-Fi secret with the other uplink secrets); the command line is
given back its normal form and Imager's files, which hold password hashes and Wi-Fi keys, are
deleted from the card.
"""

import json
import logging
import os
import time
from pathlib import Path

from courier.atomic import write_atomically
from courier.imager import IMAGER_FILES, ImagerCustomisation, clean_cmdline, read_customisation
from courier.settings_secrets import keys_dir, replace_file, store_uplink_secret

LOG = logging.getLogger(__name__)


def imager_record_path(data_dir: Path) -> Path:
    """Return where what was taken from Imager's customisation is kept."""
    return data_dir / "keys" / "imager.json"


def find_customisation(boot_dir: Path) -> ImagerCustomisation | None:
    """Return Imager's customisation on the boot partition, or None (reads only)."""
    files = {}
    for name in IMAGER_FILES:
        try:
            files[name] = (boot_dir / name).read_bytes().decode("utf-8", "replace")
        except (FileNotFoundError, IsADirectoryError):
            continue
    try:
        cmdline = (boot_dir / "cmdline.txt").read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        cmdline = ""
    return read_customisation(files, cmdline)


def neutralise(boot_dir: Path, data_dir: Path) -> ImagerCustomisation | None:
    """Take Imager's settings (durably), then restore cmdline.txt and delete Imager's files."""
    found = find_customisation(boot_dir)
    if found is None:
        return None
    _, owner = keys_dir(data_dir)
    if found.wifi_name and found.wifi_secret:
        kind = "psk" if len(found.wifi_secret) == 64 else "passphrase"
        store_uplink_secret(data_dir, found.wifi_name, kind, found.wifi_secret, owner)
    record = {"country": found.country, "time_zone": found.time_zone,
              "wifi_name": found.wifi_name, "ignored": list(found.ignored),
              "files": list(found.files)}
    path = imager_record_path(data_dir)
    write_atomically(path, json.dumps(record).encode())
    os.chown(path, *owner)
    cmdline = boot_dir / "cmdline.txt"
    if cmdline.exists():
        text = cmdline.read_text(encoding="utf-8", errors="replace")
        if clean_cmdline(text) != text.strip():
            replace_file(cmdline, (clean_cmdline(text) + "\n").encode())
    for name in found.files:
        (boot_dir / name).unlink(missing_ok=True)
    LOG.warning("Raspberry Pi Imager's customisation found (%s): took %s; ignored %s (this "
                "appliance has no login); normal boot restored", ", ".join(found.files),
                ", ".join(_taken(found)) or "nothing", ", ".join(found.ignored) or "nothing")
    return found


def imager_layer_text(data_dir: Path) -> str:
    """Return what was taken from Imager as settings-file text ("" when nothing was)."""
    try:
        record = json.loads(imager_record_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(record, dict):
        return ""
    lines = []
    if record.get("country"):
        lines += ["[hotspot]", f"country = {json.dumps(str(record['country']))}"]
    if record.get("time_zone"):
        lines += ["[clock]", f"time_zone = {json.dumps(str(record['time_zone']))}"]
    if record.get("wifi_name"):
        lines += ["[[uplink.wifi]]", f"name = {json.dumps(str(record['wifi_name']))}"]
    return "\n".join(lines) + "\n" if lines else ""


def imager_notice(data_dir: Path) -> str:
    """Return the panel's words when Imager's customisation was neutralised during this boot."""
    path = imager_record_path(data_dir)
    try:
        changed = path.stat().st_mtime
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    booted = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    if changed < booted or not isinstance(record, dict):
        return ""
    taken = [what for what, key in (("country", "country"), ("time zone", "time_zone"),
                                    ("Wi-Fi", "wifi_name")) if record.get(key)]
    ignored = {"user account": "user", "SSH": "SSH"}
    dropped = [word for what, word in ignored.items() if what in record.get("ignored", [])]
    # The journal has the whole list; the screen has room for the two that matter.
    return (f"Imager: {', '.join(taken) or 'nothing'} taken" +
            (f"; {' and '.join(dropped)} ignored (no login)" if dropped else ""))


def _taken(found: ImagerCustomisation) -> list[str]:
    return [what for what, value in (("Wi-Fi country " + found.country, found.country),
                                     ("time zone " + found.time_zone, found.time_zone),
                                     (f"Wi-Fi network {found.wifi_name!r}", found.wifi_name))
            if value]
