"""View models of every golden screen (tests/panel/golden/<name>.png), shared with regen-golden."""

from datetime import UTC, datetime
from pathlib import Path

from courier.panel.session_types import Problem
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

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SSID, PASSPHRASE = "Courier-K7QX", "hmtw-3kpa-9xce-ruvf"
NOW = datetime(2026, 11, 24, 14, 5, 9, tzinfo=UTC)

GOLDEN: dict[str, View] = {
    "ready": ReadyView("courier", 12, 3, 0.45, clock_trusted=True, uplink=False),
    "ready_uplink_untrusted": ReadyView("Courier-Lagos-01", 0, 127, 0.999, clock_trusted=False,
                                        uplink=True),
    "notice_country": NoticeView("Wi-Fi country not set: write it in courier.toml on the "
                                 "SD card", 1, 1),
    "notice_settings": NoticeView(
        'Settings line 27: country must be two letters, e.g. "KE" (or "" when unknown)', 2, 3),
    "session": SessionView(SSID, PASSPHRASE, clients=2, closes_in=541.0),
    "session_always_open": SessionView(SSID, PASSPHRASE, clients=0, closes_in=None),
    "session_long_credentials": SessionView("A" * 32, "p" * 63, clients=1, closes_in=60.0),
    "clients": ClientsView((ClientRow("alice-phone", 3, 12), ClientRow("laptop", 0, 4))),
    "clients_many": ClientsView(tuple(ClientRow(f"phone-{i}", i, 100 * i) for i in range(6))),
    "clients_none": ClientsView(()),
    "clients_too_big": ClientsView((ClientRow("alice-phone", 3, 12),), too_big=2),
    "transfer": TransferView("Hotspot sync", 7, 20, 1_234_567, 34_000),
    "transfer_empty": TransferView("Hotspot sync", 0, 0, 0, 0),
    "internet": InternetView((
        GatewayProgress("frankfurt.relaycorp.cloud", 5, 8, 2, "syncing"),
        GatewayProgress("gw.example.org", 3, 3, 1, "done"),
        GatewayProgress("down.example.net", 0, 4, 0, "failed"),
        GatewayProgress("later.example.com", 0, 1, 0, "waiting"))),
    "internet_none": InternetView(()),
    "wifi_looking": WifiView("Looking for Wi-Fi"),
    "wifi_joining": WifiView("Getting an address from Kisumu Office Guest Wi-Fi"),
    "problem_wifi_passphrase": ProblemView(Problem.WIFI_FAILED,
                                           "Wrong Wi-Fi passphrase for Office"),
    "problem_wifi_portal": ProblemView(Problem.WIFI_FAILED,
                                       "Wi-Fi Kisumu Office Guest has no Internet "
                                       "(captive portal?)"),
    "storage": StorageView(123_456_789, 2 * 1024**3, 12, 3, 4),
    "storage_full": StorageView(2 * 1024**3, 2 * 1024**3, 900, 1200, 16),
    "clock_trusted": ClockView(NOW, trusted=True, source="network"),
    "clock_untrusted": ClockView(NOW, trusted=False, source="saved"),
    **{f"problem_{p.value}": ProblemView(p) for p in Problem},
    "problem_with_detail": ProblemView(Problem.HARDWARE_FAULT, "display: no /dev/i2c-1"),
    "problem_uplink_slow": ProblemView(Problem.SYNC_FAILED,
                                       "uplink too slow for 2 cargo, largest 8.4 MB"),
    "wipe_countdown": WipeCountdownView(remaining=3.2, total=5.0, ready=False),
    "wipe_ready": WipeCountdownView(remaining=0.0, total=5.0, ready=True),
    "wiping": WipingView(),
    "wiped": WipedView(),
    "update_offer": UpdateOfferView("0.1.0", "0.1.1", "USB stick"),
    "updating": UpdatingView(42, "Installing 0.1.1"),
    "updating_restart": UpdatingView(None, "Restarting into 0.1.1"),
}

# What the running daemon shows in tests/app/test_daemon_screens.py (two official JS clients in a
# session, then an Internet sync with a gateway that never acks): that test waits for each of
# these frames on the simulated display. They are the README's screenshots.
DAEMON: dict[str, View] = {
    "daemon_clock_untrusted": ProblemView(Problem.CLOCK_UNTRUSTED),
    "daemon_ready": ReadyView("Test courier", 0, 0, 0.0, clock_trusted=True, uplink=False),
    "daemon_session": SessionView(SSID, PASSPHRASE, clients=2, closes_in=600.0),
    "daemon_clients": ClientsView((ClientRow("gw 1", 2, 0), ClientRow("gw 2", 1, 0))),
    "daemon_ready_uplink": ReadyView("Test courier", 3, 0, 0.0, clock_trusted=True,
                                     uplink=True),
    "daemon_internet": InternetView((GatewayProgress("gateway.example", 0, 3, 0, "syncing"),)),
    "daemon_problem": ProblemView(Problem.SYNC_FAILED, "could not sync gateway.example"),
}
GOLDEN.update(DAEMON)
