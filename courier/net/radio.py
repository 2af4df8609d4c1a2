"""Which Wi-Fi channel the hotspot may use: the country's rules, or channels allowed everywhere."""

import re

# 2.4 GHz channels 1, 6 and 11 are allowed in every country (the world regulatory domain "00"):
# without a country the hotspot keeps to them.
WORLD_CHANNELS = (1, 6, 11)
FALLBACK_CHANNEL = 6
_FREQUENCY = re.compile(r"\*\s+\d+(?:\.\d+)?\s+MHz\s+\[(\d+)\](.*)$")


def choose_channel(country: str, wanted: int, usable: frozenset[int] | None) -> tuple[int, str]:
    """Return the channel to use and, when it is not `wanted`, why (for the log)."""
    if not country:
        if wanted in WORLD_CHANNELS:
            return wanted, ""
        return FALLBACK_CHANNEL, (f"channel {wanted} is not allowed everywhere and no Wi-Fi "
                                  f"country is set: using channel {FALLBACK_CHANNEL}")
    if usable is not None and wanted not in usable:
        return FALLBACK_CHANNEL, (f"channel {wanted} cannot start an access point in {country} "
                                  f"on this radio: using channel {FALLBACK_CHANNEL}")
    return wanted, ""


def usable_channels(iw_phy_info: str) -> frozenset[int]:
    """Return the channels of `iw phy PHY info` an access point may start on (not disabled, IR)."""
    found: set[int] = set()
    for line in iw_phy_info.splitlines():
        match = _FREQUENCY.search(line.strip())
        if match and "disabled" not in match.group(2) and "no IR" not in match.group(2):
            found.add(int(match.group(1)))
    return frozenset(found)
