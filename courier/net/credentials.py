"""Per-device Wi-Fi name and passphrase, generated once at first boot and kept in keys/wifi.json."""

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from courier.atomic import write_atomically
from courier.errors import NetworkError

# No 0/O, 1/l/I, 2/Z, 5/S: a passphrase read off a small screen must be typed without mistakes.
_ALPHABET = "abcdefghjkmnpqrtuvwxy346789"
_GROUPS = 4
_GROUP_LENGTH = 4  # 16 characters of a 27-letter alphabet: about 76 bits


@dataclass(frozen=True)
class WifiCredentials:
    """The hotspot's network name and WPA passphrase."""

    ssid: str
    passphrase: str

    def __repr__(self) -> str:
        return f"WifiCredentials(ssid={self.ssid!r}, passphrase='********')"


def generate_wifi_credentials() -> WifiCredentials:
    """Return a fresh random SSID and a passphrase easy to read aloud and type."""
    suffix = "".join(secrets.choice("ABCDEFGHJKMNPQRTUVWXY346789") for _ in range(4))
    groups = ("".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH))
              for _ in range(_GROUPS))
    return WifiCredentials(ssid=f"Courier-{suffix}", passphrase="-".join(groups))


def credentials_path(data_dir: Path) -> Path:
    """Return where the credentials live under the data directory."""
    return data_dir / "keys" / "wifi.json"


def load_wifi_credentials(data_dir: Path) -> WifiCredentials:
    """Read the credentials; raise NetworkError saying what to do when they are missing or bad."""
    path = credentials_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        credentials = WifiCredentials(ssid=str(raw["ssid"]), passphrase=str(raw["passphrase"]))
    except FileNotFoundError as error:
        raise NetworkError(f"no Wi-Fi credentials at {path}: run `courier init`") from error
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise NetworkError(f"unreadable Wi-Fi credentials at {path}: {type(error).__name__}") \
            from error
    if not 1 <= len(credentials.ssid.encode()) <= 32 or not 8 <= len(credentials.passphrase) <= 63:
        raise NetworkError(f"invalid Wi-Fi credentials at {path}: SSID 1-32 bytes, passphrase 8-63")
    return credentials


def ensure_wifi_credentials(data_dir: Path) -> WifiCredentials:
    """Create the credentials if missing (0600 in a 0700 directory) and return them; idempotent."""
    path = credentials_path(data_dir)
    if path.exists():
        return load_wifi_credentials(data_dir)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    credentials = generate_wifi_credentials()
    write_atomically(path, json.dumps({"ssid": credentials.ssid,
                                       "passphrase": credentials.passphrase}).encode())
    return credentials
