"""Raspberry Pi Imager's OS customisation, read from the boot partition (pure).

Imager (raspberrypi/rpi-imager, 1.8 and 2.0) may write one of: `firstrun.sh` plus
`systemd.run=/boot/firstrun.sh systemd.run_success_action=reboot
systemd.unit=kernel-command-line.target` on the kernel command line (init format "systemd"),
cloud-init's `user-data`, `network-config` and `meta-data` plus `ds=nocloud;i=...` ("cloudinit"),
or `rpi-preseed.toml` ("rpi-preseed"); with a Wi-Fi country it also adds
`cfg80211.ieee80211_regdom=XX`. Booted as is, the courier would start a script meant for Raspberry
Pi OS instead of its own services. We take the Wi-Fi country, the time zone and the Wi-Fi network
(as an uplink), ignore the rest (user accounts, SSH, host name, keyboard: this appliance has no
login), and give the command line back its normal form.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

IMAGER_FILES = ("firstrun.sh", "user-data", "network-config", "meta-data", "rpi-preseed.toml")
# Kernel command line words Imager appends.
_CMDLINE_WORDS = re.compile(
    r"^(systemd\.run=/boot/firstrun\.sh|systemd\.run_success_action=reboot|"
    r"systemd\.unit=kernel-command-line\.target|ds=nocloud;i=\S*|"
    r"cfg80211\.ieee80211_regdom=\S*)$")
_REGDOM = re.compile(r"(?:^|\s)cfg80211\.ieee80211_regdom=([A-Za-z]{2})(?:\s|$)")
_QUOTED = r"'((?:[^']|'\"'\"'|'\\'')*)'"  # shell single quotes, with Imager's quote escapes
_SET_WLAN = re.compile(r"imager_custom set_wlan\s+(?:-h\s+)?" + _QUOTED + r"\s+" + _QUOTED
                       + r"(?:\s+" + _QUOTED + ")?")
_SET_TIMEZONE = re.compile(r"imager_custom set_timezone\s+" + _QUOTED)
_WPA_SSID = re.compile(r'^\s*ssid="(.*)"\s*$', re.MULTILINE)
_WPA_PSK = re.compile(r"^\s*psk=([0-9a-fA-F]{64})\s*$", re.MULTILINE)
_WPA_COUNTRY = re.compile(r"^country=([A-Za-z]{2})\s*$", re.MULTILINE)
_YAML_TIMEZONE = re.compile(r"^timezone:\s*\"?([A-Za-z0-9_+/-]+)\"?\s*$", re.MULTILINE)
_YAML_REGDOM = re.compile(r"^\s*regulatory-domain:\s*\"?([A-Za-z]{2})\"?\s*$", re.MULTILINE)
_YAML_AP = re.compile(r"^\s*access-points:\s*\n\s*\"((?:[^\"\\]|\\.)*)\":\s*\n"
                      r"(?:\s*hidden:.*\n)?\s*password:\s*\"((?:[^\"\\]|\\.)*)\"", re.MULTILINE)
# What Imager may also set, which an appliance without logins ignores (said in the log and panel).
_IGNORED = {
    "user account": (r"userconf|chpasswd|^users:|\[user\]", re.MULTILINE),
    "SSH": (r"enable_ssh|ssh_pwauth|ssh_authorized_keys|\[ssh\]", re.MULTILINE),
    "host name": (r"set_hostname|^hostname:|\[system\]", re.MULTILINE),
    "keyboard": (r"set_keymap|^keyboard:|keymap =", re.MULTILINE),
}


@dataclass(frozen=True)
class ImagerCustomisation:
    """What Imager asked for that the courier takes, and what it ignores."""

    files: tuple[str, ...]
    country: str = ""
    time_zone: str = ""
    wifi_name: str = ""
    wifi_secret: str = ""  # Imager writes a 64-hex PSK; older versions a passphrase

    ignored: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (f"ImagerCustomisation(files={self.files!r}, country={self.country!r}, "
                f"time_zone={self.time_zone!r}, wifi_name={self.wifi_name!r}, "
                f"ignored={self.ignored!r})")


def read_customisation(files: Mapping[str, str], cmdline: str) -> ImagerCustomisation | None:
    """Return Imager's customisation from the boot files (name -> text), or None if none."""
    found = tuple(name for name in IMAGER_FILES if name in files)
    if not found and clean_cmdline(cmdline) == cmdline.strip():
        return None
    text = "\n".join(files.get(name, "") for name in found)
    country, time_zone, name, secret = _from_firstrun(files.get("firstrun.sh", ""))
    for more in (_from_cloud_init(files), _from_preseed(files.get("rpi-preseed.toml", ""))):
        country, time_zone = country or more[0], time_zone or more[1]
        name, secret = name or more[2], secret or more[3]
    if regdom := _REGDOM.search(cmdline):
        country = country or regdom.group(1)
    ignored = tuple(what for what, (pattern, flags) in _IGNORED.items()
                    if re.search(pattern, text, flags))
    return ImagerCustomisation(found, country.upper(), time_zone, name, secret, ignored)


def clean_cmdline(cmdline: str) -> str:
    """Return the command line without the words Imager appended."""
    return " ".join(word for word in cmdline.split() if not _CMDLINE_WORDS.match(word))


def _unquote(text: str) -> str:
    return text.replace("'\"'\"'", "'").replace("'\\''", "'")


def _from_firstrun(script: str) -> tuple[str, str, str, str]:
    country = time_zone = name = secret = ""
    if wlan := _SET_WLAN.search(script):
        name, secret = _unquote(wlan.group(1)), _unquote(wlan.group(2))
        country = _unquote(wlan.group(3) or "")
    elif (ssid := _WPA_SSID.search(script)) and (psk := _WPA_PSK.search(script)):
        name, secret = ssid.group(1), psk.group(1)
    if not country and (wpa := _WPA_COUNTRY.search(script)):
        country = wpa.group(1)
    if zone := _SET_TIMEZONE.search(script):
        time_zone = _unquote(zone.group(1))
    return country, time_zone, name, secret


def _from_cloud_init(files: Mapping[str, str]) -> tuple[str, str, str, str]:
    user_data, network = files.get("user-data", ""), files.get("network-config", "")
    zone = _YAML_TIMEZONE.search(user_data)
    regdom = _YAML_REGDOM.search(network)
    ap = _YAML_AP.search(network)
    return (regdom.group(1) if regdom else "", zone.group(1) if zone else "",
            ap.group(1).replace('\\"', '"') if ap else "",
            ap.group(2).replace('\\"', '"') if ap else "")


def _from_preseed(text: str) -> tuple[str, str, str, str]:
    try:
        table = tomllib.loads(text) if text else {}
    except tomllib.TOMLDecodeError:
        return "", "", "", ""
    wlan, locale = table.get("wlan", {}), table.get("locale", {})
    wlan = wlan if isinstance(wlan, dict) else {}
    locale = locale if isinstance(locale, dict) else {}
    return (str(wlan.get("country", "")), str(locale.get("timezone", "")),
            str(wlan.get("ssid", "")), str(wlan.get("password", "")))
