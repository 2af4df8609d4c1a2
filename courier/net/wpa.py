"""wpa_supplicant for the Wi-Fi uplink: its configuration, and what it says, read (pure).

The privileged helper will run it on the radio once the hotspot is closed. Passphrases never reach
the file in clear: each becomes its WPA PSK (PBKDF2-HMAC-SHA1 over the network name, as IEEE
802.11i defines it), and names are written in hex, so no value can break out of its line.
"""

import hashlib
from collections.abc import Sequence

from courier.config import UplinkWifi
from courier.errors import NetworkError


def wpa_psk(name: str, passphrase: str) -> str:
    """Return the 64-hex WPA PSK of a passphrase for a network name (IEEE 802.11i, H.4)."""
    return hashlib.pbkdf2_hmac("sha1", passphrase.encode(), name.encode(), 4096, 32).hex()


def render_wpa_supplicant(networks: Sequence[UplinkWifi], country: str, control_dir: str) -> str:
    """Return wpa_supplicant.conf joining the known networks (the strongest in range wins)."""
    if any(ord(c) < 0x20 for c in control_dir) or not control_dir:
        raise NetworkError("control directory must be printable text")
    lines = ["# Rendered by the courier; uplink networks come from courier.toml.",
             f"ctrl_interface={control_dir}", "ap_scan=1", "update_config=0"]
    if country:
        if len(country) != 2 or not country.isascii() or not country.isalpha():
            raise NetworkError(f"{country!r} is not a country code")
        lines.append(f"country={country.upper()}")
    for network in networks:
        key = network.psk.lower() or wpa_psk(network.name, network.passphrase)
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise NetworkError(f"Wi-Fi {network.name!r} has no usable key")
        lines += ["network={", f"\tssid={network.name.encode().hex()}", "\tscan_ssid=1",
                  "\tkey_mgmt=WPA-PSK", f"\tpsk={key}", "\tieee80211w=1", "}"]
    return "\n".join(lines) + "\n"


def scan_results(text: str) -> dict[str, int]:
    """Return name -> strongest signal (dBm) from `wpa_cli scan_results`."""
    found: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split("\t")
        if len(fields) != 5 or not fields[2].lstrip("-").isdigit():
            continue
        name, signal = _unescape(fields[4]), int(fields[2])
        found[name] = max(signal, found.get(name, signal))
    return found


def refused_key(log: str) -> bool:
    """Tell whether wpa_supplicant's events say the network refused our key."""
    return "reason=WRONG_KEY" in log


def _unescape(name: str) -> str:
    """Undo wpa_supplicant's printf-style escaping of a network name."""
    raw = name.encode("latin-1", "replace").decode("unicode_escape").encode("latin-1", "replace")
    return raw.decode("utf-8", "replace")
