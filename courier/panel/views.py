"""Frozen view models: everything a screen shows, gathered by the daemon, rendered by screens.py."""

from dataclasses import dataclass
from datetime import datetime

from courier.panel.session_types import Problem


@dataclass(frozen=True)
class ReadyView:
    """Idle: waiting for a press."""

    device_name: str
    cargo_to_internet: int
    cargo_to_private: int
    used_fraction: float
    clock_trusted: bool
    uplink: bool


@dataclass(frozen=True)
class SessionView:
    """Hotspot session open: the Wi-Fi name, its passphrase and a QR code to join it."""

    ssid: str
    passphrase: str
    clients: int
    closes_in: float | None  # seconds until the idle close; None when always open


@dataclass(frozen=True)
class ClientRow:
    """One private gateway connected to the hotspot."""

    name: str
    cargo_received: int
    cargo_sent: int


@dataclass(frozen=True)
class ClientsView:
    """The gateways connected now."""

    clients: tuple[ClientRow, ...]
    too_big: int = 0  # waiting cargo no Android phone can receive (over 4 MiB)


@dataclass(frozen=True)
class TransferView:
    """Progress of the current sync: cargo counts and bytes each way."""

    title: str
    cargo_done: int
    cargo_total: int
    bytes_in: int
    bytes_out: int


@dataclass(frozen=True)
class GatewayProgress:
    """Internet sync with one Internet gateway."""

    address: str
    delivered: int
    to_deliver: int
    collected: int
    status: str  # "waiting", "syncing", "done", "failed"


@dataclass(frozen=True)
class InternetView:
    """Internet sync, one line per Internet gateway."""

    gateways: tuple[GatewayProgress, ...]


@dataclass(frozen=True)
class WifiView:
    """Wi-Fi uplink: what it is doing or why it stopped, in words."""

    words: str


@dataclass(frozen=True)
class StorageView:
    """How full the store is and what it holds."""

    used_bytes: int
    quota_bytes: int
    cargo_to_internet: int
    cargo_to_private: int
    ccas: int


@dataclass(frozen=True)
class ClockView:
    """The time the courier goes by and whether it can be trusted."""

    effective_now: datetime
    trusted: bool
    source: str  # "network", "rtc", "saved", "messages", "system"


@dataclass(frozen=True)
class ProblemView:
    """An attention state explained in words, with what to do about it."""

    problem: Problem
    detail: str = ""


@dataclass(frozen=True)
class NoticeView:
    """A setting to fix (settings file problem, Wi-Fi country), shown in turn with the screen."""

    text: str
    number: int  # 1-based, of `count`
    count: int


@dataclass(frozen=True)
class WipeCountdownView:
    """The button is held for a panic wipe."""

    remaining: float
    total: float
    ready: bool  # countdown over: releasing now wipes


@dataclass(frozen=True)
class WipingView:
    """The wipe is in progress."""


@dataclass(frozen=True)
class WipedView:
    """The store is wiped."""


@dataclass(frozen=True)
class UpdateOfferView:
    """A signed system update is offered: from which version to which, and where it comes from."""

    current: str  # the running courier version
    offered: str
    source: str  # "USB stick", "download"


@dataclass(frozen=True)
class UpdatingView:
    """The update helper is installing: progress when known, what it is doing in words."""

    percent: int | None
    words: str


View = (ReadyView | SessionView | ClientsView | TransferView | InternetView | WifiView
        | StorageView | ClockView | ProblemView | NoticeView | WipeCountdownView | WipingView
        | WipedView | UpdateOfferView | UpdatingView)
