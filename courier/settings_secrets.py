"""Secrets in the boot partition's settings file: moved to the data partition, blanked, explained.

The boot partition is FAT: anyone who borrows the card reads it. At every start a privileged
one-shot (`courier settings apply`) takes the passphrases written there, stores them under
<data dir>/keys, and rewrites the file with the values blanked and a note saying where they went.
This is the only place configuration code writes a file; loading (load_settings) only reads.
"""

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from courier.atomic import fsync_dir, write_atomically
from courier.config import UplinkWifi, wifi_problems
from courier.net.credentials import credentials_path, generate_wifi_credentials
from courier.settings_file import KeyPath, Settings, locate, parse_settings, parse_tolerantly

LOG = logging.getLogger(__name__)
BOOT_SETTINGS_FILE = Path("/boot/firmware/courier.toml")
NOTE = ("# The {what} written here was moved into the courier (it is used as before) and removed "
        "from this card. To change it, write the new one between the quotes: the courier moves "
        "it again when it starts.")


@dataclass(frozen=True)
class Secret:
    """A secret value found in the file, and where."""

    path: KeyPath
    line: int
    value: str

    def __repr__(self) -> str:
        return f"Secret(path={self.path!r}, line={self.line})"


def uplink_secrets_path(data_dir: Path) -> Path:
    """Return where moved uplink Wi-Fi secrets live, by network name."""
    return data_dir / "keys" / "uplink-wifi.json"


def find_secrets(text: str) -> list[Secret]:
    """Return the valid secrets written in the file (invalid ones stay and are reported)."""
    table, _ = parse_tolerantly(text.removeprefix("\ufeff"))
    lines = locate(text.removeprefix("\ufeff"))
    found: list[Secret] = []
    hotspot = table.get("hotspot")
    passphrase = hotspot.get("passphrase") if isinstance(hotspot, dict) else None
    if isinstance(passphrase, str) and 8 <= len(passphrase) <= 63 and \
            ("hotspot", "passphrase") in lines:
        found.append(Secret(("hotspot", "passphrase"), lines[("hotspot", "passphrase")],
                            passphrase))
    uplink = table.get("uplink")
    networks = uplink.get("wifi") if isinstance(uplink, dict) else None
    for index, entry in enumerate(networks if isinstance(networks, list) else []):
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            continue
        for key in ("passphrase", "psk"):
            where = ("uplink", "wifi", str(index), key)
            value = entry.get(key, "")
            if value and where in lines and not wifi_problems((UplinkWifi(
                    name=entry.get("name", ""), **{key: value}),)):
                found.append(Secret(where, lines[where], value))
    return found


def blank_secrets(text: str, secrets: list[Secret]) -> str:
    """Return the text with each secret's line blanked and a note above it (line ends kept)."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    if bom:
        lines[0] = lines[0].removeprefix(bom)
    for secret in sorted(secrets, key=lambda s: s.line, reverse=True):
        old = lines[secret.line - 1]
        indent = old[: len(old) - len(old.lstrip())]
        what = "Wi-Fi passphrase" if secret.path[-1] == "passphrase" else "Wi-Fi key (psk)"
        lines[secret.line - 1: secret.line] = [
            indent + NOTE.format(what=what), f'{indent}{secret.path[-1]} = ""']
    return bom + newline.join(lines)


def move_secrets(boot_file: Path, data_dir: Path) -> int:
    """Store the file's secrets under data_dir/keys, then blank them in the file; return how many.

    Secrets are durable on the data partition before the file loses them: a power cut in between
    leaves them in both places, never in neither.
    """
    try:
        raw = boot_file.read_bytes()
    except FileNotFoundError:
        return 0
    text = raw.decode("utf-8", errors="replace")
    secrets = find_secrets(text)
    if not secrets:
        return 0
    table, _ = parse_tolerantly(text.removeprefix("\ufeff"))
    keys, owner = keys_dir(data_dir)
    for secret in secrets:
        if secret.path[0] == "hotspot":
            _store_hotspot(data_dir, secret.value, owner)
    uplinks = [s for s in secrets if s.path[0] == "uplink"]
    if uplinks:
        _store_uplinks(data_dir, table["uplink"]["wifi"], uplinks, owner)
    replace_file(boot_file, blank_secrets(text, secrets).encode())
    LOG.info("moved %d secret(s) from %s to %s and blanked them there", len(secrets), boot_file,
             keys)
    return len(secrets)


def keys_dir(data_dir: Path) -> tuple[Path, tuple[int, int]]:
    """Return data_dir/keys (made 0700 if missing) and the owner its files must have.

    At boot this runs as root, possibly before `courier init`: what it makes belongs to the owner
    of the data directory (the courier), so the courier can read it and init can add to it.
    """
    owner = data_dir.stat() if data_dir.exists() else None
    keys = data_dir / "keys"
    if not keys.exists():
        keys.mkdir(mode=0o700, parents=True)
        if owner is not None:
            os.chown(keys, owner.st_uid, owner.st_gid)
    found = keys.stat()
    return keys, (found.st_uid, found.st_gid)


def load_settings(boot_file: Path, data_dir: Path) -> Settings:
    """Read the settings file and the moved secrets (read only); a missing file is no settings."""
    try:
        text = boot_file.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return Settings({})
    except OSError as error:
        return parse_settings(f"# unreadable: {error}\n")
    return parse_settings(text, stored_uplink_secrets(data_dir))


def stored_uplink_secrets(data_dir: Path) -> dict[str, dict[str, str]]:
    """Return the moved uplink secrets by network name."""
    stored = _read_json(uplink_secrets_path(data_dir))
    return {name: {k: v for k, v in value.items() if k in ("passphrase", "psk")
                   and isinstance(v, str)}
            for name, value in stored.items() if isinstance(value, dict)}


def _store_hotspot(data_dir: Path, passphrase: str, owner: tuple[int, int]) -> None:
    path = credentials_path(data_dir)
    current = _read_json(path)
    ssid = current.get("ssid") if isinstance(current.get("ssid"), str) else None
    record = {"ssid": ssid or generate_wifi_credentials().ssid, "passphrase": passphrase}
    write_atomically(path, json.dumps(record).encode())
    os.chown(path, *owner)


def _store_uplinks(data_dir: Path, entries: list[dict[str, str]], secrets: list[Secret],
                   owner: tuple[int, int]) -> None:
    for secret in secrets:
        store_uplink_secret(data_dir, entries[int(secret.path[2])]["name"], secret.path[3],
                            secret.value, owner)


def store_uplink_secret(data_dir: Path, name: str, kind: str, value: str,
                        owner: tuple[int, int] | None = None) -> None:
    """Keep an uplink Wi-Fi network's passphrase or psk under data_dir/keys (0600)."""
    path = uplink_secrets_path(data_dir)
    stored: dict[str, object] = _read_json(path)
    stored[name] = {kind: value}  # a new psk replaces an old passphrase
    write_atomically(path, json.dumps(stored, sort_keys=True).encode())
    if owner is not None:
        os.chown(path, *owner)


def _read_json(path: Path) -> dict[str, object]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def replace_file(path: Path, data: bytes) -> None:
    """Replace the file durably; FAT has no permissions, keep whatever the mount gives."""
    temp = path.with_name(path.name + ".new")
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)

