"""The settings file on the boot partition: parsed tolerantly, every problem tied to its line.

Organisers edit it on any computer after flashing. A mistake must not stop the device: each bad
line or value is reported ("Settings file line 7: ...") and left out; the valid rest applies.
This module is pure: text in, a layer for courier.config and the problems out.
"""

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from courier.config import Config, UplinkWifi, setting_problems, wifi_problems

COUNTRY_NOTICE = "Wi-Fi country not set: write it in courier.toml on the SD card"
# Keys the settings file may not set: where the data lives decides where the file's secrets go.
FORBIDDEN = frozenset({("device", "data_dir")})
SECTIONS = frozenset(f.name for f in dataclasses.fields(Config))
_MAX_RETRIES = 50
_HEADER = re.compile(r"\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")
_ARRAY_HEADER = re.compile(r"\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")
_AT_LINE = re.compile(r"\s*\(at line (\d+), column \d+\)$")

Layer = Mapping[str, Mapping[str, Any]]
KeyPath = tuple[str, ...]  # ("hotspot", "country") or ("uplink", "wifi", "0", "passphrase")


@dataclass(frozen=True)
class SettingsProblem:
    """One problem of the settings file, with its line when known."""

    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"Settings file line {self.line}" if self.line else "Settings file"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Settings:
    """The valid part of the settings file as a configuration layer, and what was wrong."""

    layer: Layer
    problems: tuple[SettingsProblem, ...] = ()


def parse_settings(text: str, stored: Mapping[str, Mapping[str, str]] | None = None) -> Settings:
    """Return the valid settings and the problems; `stored` fills blanked Wi-Fi secrets by name."""
    text = text.removeprefix("\ufeff")  # Windows Notepad's byte order mark
    table, problems = parse_tolerantly(text)
    lines = locate(text)
    layer: dict[str, dict[str, Any]] = {}
    for section, values in table.items():
        if not isinstance(values, dict) or section not in SECTIONS:
            problems.append(SettingsProblem(lines.get((section,)), f"[{section}] is not a section "
                                            f"the courier knows ({', '.join(sorted(SECTIONS))})"))
            continue
        for key, value in values.items():
            line = lines.get((section, key), lines.get((section,)))
            if (section, key) in FORBIDDEN:
                problems.append(SettingsProblem(line, f"{key} cannot be set in this file"))
            elif section == "uplink" and key == "wifi":
                networks = _networks(value, lines, stored or {}, problems)
                layer.setdefault(section, {})[key] = networks
            else:
                found = setting_problems(section, key, value)
                problems.extend(SettingsProblem(line, _plain(p)) for p in found)
                if not found:
                    layer.setdefault(section, {})[key] = value
    return Settings(layer, tuple(sorted(problems, key=lambda p: p.line or 0)))


def panel_notices(settings: Settings, country: str) -> tuple[str, ...]:
    """Return what the ready screen asks the organiser to fix, shortest words first."""
    notices = [f"Settings line {p.line}: {p.message.split(';')[0]}" if p.line
               else f"Settings: {p.message.split(';')[0]}" for p in settings.problems]
    if not country:
        notices.append(COUNTRY_NOTICE)
    return tuple(notices)


def parse_tolerantly(text: str) -> tuple[dict[str, Any], list[SettingsProblem]]:
    """Parse TOML, blanking each unreadable line (reported) until the rest parses."""
    problems: list[SettingsProblem] = []
    lines = text.splitlines()
    for _ in range(_MAX_RETRIES):
        try:
            return tomllib.loads("\n".join(lines)), problems
        except tomllib.TOMLDecodeError as error:
            reason = str(error)
            found = _AT_LINE.search(reason)
            number = int(found.group(1)) if found else 0
            if not 1 <= number <= len(lines) or not lines[number - 1].strip():
                problems.append(SettingsProblem(None, f"cannot be read: {reason}"))
                return {}, problems
            problems.append(SettingsProblem(number, _syntax_advice(reason[: found.start()]
                                                                   if found else reason)))
            lines[number - 1] = ""
    return {}, problems


def locate(text: str) -> dict[KeyPath, int]:
    """Return the line of each section header and key (flat files like the template only)."""
    spots: dict[KeyPath, int] = {}
    header: KeyPath = ()
    counts: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        if found := _ARRAY_HEADER.match(raw):
            name = found.group(1)
            counts[name] = counts.get(name, -1) + 1
            header = (*name.split("."), str(counts[name]))
            spots[header] = number
        elif found := _HEADER.match(raw):
            header = tuple(found.group(1).split("."))
            spots[header] = number
        elif found := _KEY.match(raw):
            spots.setdefault((*header, found.group(1)), number)
    return spots


def _networks(value: Any, lines: Mapping[KeyPath, int], stored: Mapping[str, Mapping[str, str]],
              problems: list[SettingsProblem]) -> list[dict[str, str]]:
    """Return the valid [[uplink.wifi]] entries, blanked secrets filled from the data partition."""
    if not isinstance(value, list):
        problems.append(SettingsProblem(lines.get(("uplink", "wifi")),
                                        "Wi-Fi networks go in [[uplink.wifi]] sections"))
        return []
    valid: list[dict[str, str]] = []
    for index, entry in enumerate(value):
        where = ("uplink", "wifi", str(index))
        if not isinstance(entry, dict) or set(entry) - {"name", "passphrase", "psk"} or \
                not all(isinstance(v, str) for v in entry.values()) or "name" not in entry:
            problems.append(SettingsProblem(lines.get(where), "a Wi-Fi network needs a name, "
                                            'and a passphrase (text in quotes) or a psk'))
            continue
        filled = dict(entry)
        if not filled.get("passphrase") and not filled.get("psk"):
            filled.update(stored.get(filled["name"], {}))
        network = UplinkWifi(**filled)
        found = wifi_problems((network,))
        line = lines.get((*where, "passphrase"), lines.get(where))
        problems.extend(SettingsProblem(line, _plain(p)) for p in found)
        if not found:
            valid.append(filled)
    return valid


_TYPE_WORDS = {"is not a int": "is not a whole number", "is not a float": "is not a number",
               "is not a str": "is not text in quotes", "is not a bool": "is not true or false"}


def _plain(problem: str) -> str:
    """Drop the "[section] " prefix (the line says where) and name types in plain words."""
    for technical, plain in _TYPE_WORDS.items():
        problem = problem.replace(technical, plain)
    return re.sub(r"^\[\[?[a-z_.]+\]\]? ", "", problem)


def _syntax_advice(reason: str) -> str:
    if "overwrite" in reason:  # tomllib's words for a key written twice
        return "this setting is already set above: keep only one of the two lines"
    return (f"cannot be read ({reason.strip().lower()}); write it as name = value, "
            'with text in quotes, e.g. country = "KE"')
