"""From one snapshot of the device's status to the view model of any screen (pure)."""

from dataclasses import dataclass
from datetime import datetime

from courier.panel.session_types import Problem, Screen
from courier.panel.views import (
    ClientRow,
    ClientsView,
    ClockView,
    GatewayProgress,
    InternetView,
    NoticeView,
    ProblemView,
    ReadyView,
    SessionView,
    StorageView,
    TransferView,
    UpdateOfferView,
    UpdatingView,
    View,
    WifiView,
    WipeCountdownView,
    WipedView,
    WipingView,
)

NOTICE_SECONDS = 5


@dataclass(frozen=True)
class DeviceStatus:
    """Everything the screens show; the daemon keeps one and replaces it as things change."""

    device_name: str
    effective_now: datetime
    clock_trusted: bool
    clock_source: str
    ssid: str = ""
    passphrase: str = ""
    uplink: bool = False
    wifi: str = ""  # the Wi-Fi uplink's progress or why it stopped, in words
    clients: tuple[ClientRow, ...] = ()
    stations: int = 0  # phones and laptops on the Wi-Fi now (hostapd)
    closes_in: float | None = None
    transfer_title: str = "Hotspot sync"
    cargo_done: int = 0
    cargo_total: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    gateways: tuple[GatewayProgress, ...] = ()
    used_bytes: int = 0
    quota_bytes: int = 0
    cargo_to_internet: int = 0
    cargo_to_private: int = 0
    ccas: int = 0
    too_big: int = 0  # waiting cargo too big for Android phones
    problem: Problem | None = None
    problem_detail: str = ""
    wipe_remaining: float | None = None
    wipe_total: float = 5.0
    notices: tuple[str, ...] = ()  # settings to fix; the ready screen shows them in turn
    version: str = ""  # the running courier version
    update_offer: str = ""  # the system update version offered ("": none)
    update_source: str = ""  # where it comes from, in words: "USB stick", "download"
    update_serial: int = 0  # the helper's serial of the offer: new when offered afresh
    update_percent: int | None = None  # install progress, when the helper knows it
    update_words: str = ""  # what the install is doing ("Checking bundle", "Restarting into X")


def view_for(screen: Screen, status: DeviceStatus) -> View:
    """Return the view model of `screen` filled from `status`."""
    if screen in (Screen.READY, Screen.PROBLEM) and (notice := _notice_turn(status)):
        return notice  # resting screens only: never over a session, a sync or a wipe
    match screen:
        case Screen.SESSION:
            return SessionView(status.ssid, status.passphrase,
                               max(len(status.clients), status.stations), status.closes_in)
        case Screen.CLIENTS:
            return ClientsView(status.clients, status.too_big)
        case Screen.TRANSFER:
            return TransferView(status.transfer_title, status.cargo_done, status.cargo_total,
                                status.bytes_in, status.bytes_out)
        case Screen.INTERNET:
            return InternetView(status.gateways)
        case Screen.WIFI:
            return WifiView(status.wifi)
        case Screen.STORAGE:
            return StorageView(status.used_bytes, status.quota_bytes, status.cargo_to_internet,
                               status.cargo_to_private, status.ccas)
        case Screen.CLOCK:
            return ClockView(status.effective_now, status.clock_trusted, status.clock_source)
        case Screen.PROBLEM if status.problem is not None:
            return ProblemView(status.problem, status.problem_detail)
    view = _system_view(screen, status)
    return view if view is not None else _ready(status)


def _system_view(screen: Screen, status: DeviceStatus) -> View | None:
    """Return the view of a wipe or system update screen (None for any other screen)."""
    match screen:
        case Screen.WIPE_COUNTDOWN:
            remaining = status.wipe_remaining or 0.0
            return WipeCountdownView(remaining, status.wipe_total, ready=remaining <= 0)
        case Screen.WIPING:
            return WipingView()
        case Screen.WIPED:
            return WipedView()
        case Screen.UPDATE_OFFER:
            return UpdateOfferView(status.version, status.update_offer, status.update_source)
        case Screen.UPDATING:
            return UpdatingView(status.update_percent, status.update_words)
    return None


def _ready(status: DeviceStatus) -> ReadyView:
    """Return the idle screen (also shown for a problem screen with no problem left)."""
    used = status.used_bytes / status.quota_bytes if status.quota_bytes else 0.0
    return ReadyView(status.device_name, status.cargo_to_internet, status.cargo_to_private, used,
                     status.clock_trusted, status.uplink)


def _notice_turn(status: DeviceStatus) -> NoticeView | None:
    """Return the notice whose turn it is (5 s each, then the screen itself), or None."""
    if not status.notices:
        return None
    turn = int(status.effective_now.timestamp() // NOTICE_SECONDS) % (len(status.notices) + 1)
    if turn == 0:
        return None
    return NoticeView(status.notices[turn - 1], turn, len(status.notices))
