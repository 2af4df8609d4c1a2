"""What the update helper tells the daemon: the offered bundle and the install, in a JSON file.

The helper (root) writes /run/courier-update/status.json atomically on every change; the daemon
(no privileges) only reads it. Unknown or malformed content reads as "no helper".
"""

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from courier.atomic import write_atomically
from courier.update.install import parse_version

STATUS_NAME = "status.json"
SOCKET_NAME = "control.sock"
STATES = ("idle", "installing", "rebooting", "failed")
SOURCES = {"usb": "USB stick", "download": "download"}


@dataclass(frozen=True)
class Offer:
    """A checked bundle newer than the running system, ready to install on confirmation."""

    version: str
    source: str  # "usb" or "download"
    name: str  # the bundle's file name (for the journal)
    serial: int = 0  # new each time a place offers it afresh (a stick plugged in again)


@dataclass(frozen=True)
class HelperStatus:
    """The helper's state: the offer, refused bundles, and the install under way."""

    offer: Offer | None = None
    refused: tuple[str, ...] = ()  # one line per bundle found but refused, in words
    state: str = "idle"
    percent: int | None = None
    words: str = ""  # what the install is doing, or why it failed
    attempt: int = 0  # counts install attempts, so a reader sees a new outcome
    slot: str = ""  # the A/B slot booted ("" not an A/B system): the daemon cannot read cmdline

    def to_json(self) -> bytes:
        """Return the status as the file holds it."""
        return json.dumps(asdict(self), sort_keys=True).encode() + b"\n"


def write_status(run_dir: Path, status: HelperStatus) -> None:
    """Replace the status file (readable by the daemon's group)."""
    write_atomically(run_dir / STATUS_NAME, status.to_json(), mode=0o640)


def read_status(run_dir: Path) -> HelperStatus | None:
    """Return the helper's status, or None when there is no helper or the file is not ours."""
    try:
        raw = json.loads((run_dir / STATUS_NAME).read_bytes())
        return _parse(raw)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _parse(raw: object) -> HelperStatus:
    """Check and convert the decoded JSON (raises on anything unexpected)."""
    if not isinstance(raw, dict):
        raise TypeError("not an object")
    offer = raw.get("offer")
    parsed = None
    if offer is not None:
        serial = offer.get("serial", 0)
        if not isinstance(serial, int) or isinstance(serial, bool) or serial < 0:
            raise TypeError("bad serial")
        parsed = Offer(_text(offer["version"]), _text(offer["source"]), _text(offer["name"]),
                       serial)
        if parsed.source not in SOURCES:
            raise ValueError("unknown source")
    state = _text(raw.get("state", "idle"))
    if state not in STATES:
        raise ValueError("unknown state")
    percent = raw.get("percent")
    if percent is not None and (not isinstance(percent, int) or not 0 <= percent <= 100):
        raise ValueError("bad percent")
    refused = raw.get("refused", [])
    attempt = raw.get("attempt", 0)
    if not isinstance(refused, list) or not isinstance(attempt, int):
        raise TypeError("bad refused or attempt")
    slot = _text(raw.get("slot", ""))
    if slot not in ("", "A", "B"):
        raise ValueError("unknown slot")
    return HelperStatus(parsed, tuple(_text(r) for r in refused), state, percent,
                        _text(raw.get("words", "")), attempt, slot)


def _text(value: object) -> str:
    """Return a short string field (raises on anything else)."""
    if not isinstance(value, str) or len(value) > 300:
        raise TypeError("not a short string")
    return value


@dataclass
class Candidates:
    """Bundles found on sticks and downloaded, with the reasons for those refused."""

    offers: dict[str, Offer] = field(default_factory=dict)  # where -> offer
    paths: dict[str, Path] = field(default_factory=dict)  # where -> bundle path
    refused: dict[str, list[str]] = field(default_factory=dict)  # where -> reasons
    issued: int = 0  # the last offer serial given out

    def put(self, where: str, offer: Offer, path: Path, previous: Offer | None) -> None:
        """Keep a place's offer: the same version checked again keeps its serial, else a new one."""
        if previous is not None and previous.version == offer.version:
            serial = previous.serial
        else:
            self.issued += 1
            serial = self.issued
        self.offers[where], self.paths[where] = replace(offer, serial=serial), path

    def drop(self, where: str) -> None:
        """Forget what came from one place (a stick pulled out)."""
        self.offers.pop(where, None)
        self.paths.pop(where, None)
        self.refused.pop(where, None)

    def best(self) -> tuple[Offer, Path] | None:
        """Return the newest offer and its bundle, if any."""
        if not self.offers:
            return None
        where = max(self.offers, key=lambda w: (parse_version(self.offers[w].version), w))
        return self.offers[where], self.paths[where]

    def all_refused(self) -> tuple[str, ...]:
        """Return every refusal, place by place."""
        return tuple(line for where in sorted(self.refused) for line in self.refused[where])
