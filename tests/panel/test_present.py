"""Every screen id gets a view model that renders, from one status snapshot."""

from datetime import UTC, datetime

import pytest

from courier.panel.present import DeviceStatus, view_for
from courier.panel.screens import render
from courier.panel.session_types import Problem, Screen
from courier.panel.views import ClockView, ProblemView, ReadyView, WipeCountdownView

STATUS = DeviceStatus("courier", datetime(2026, 11, 24, tzinfo=UTC), clock_trusted=False,
                      clock_source="saved", ssid="Courier-K7QX", passphrase="hmtw-3kpa-9xce-ruvf",
                      used_bytes=50, quota_bytes=100)


@pytest.mark.parametrize("screen", list(Screen))
def test_every_screen_renders(screen: Screen) -> None:
    image = render(view_for(screen, STATUS))
    assert image.size == (128, 64) and image.getbbox() is not None


def test_fields_reach_the_views() -> None:
    assert view_for(Screen.CLOCK, STATUS) == ClockView(STATUS.effective_now, False, "saved")
    ready = view_for(Screen.READY, STATUS)
    assert isinstance(ready, ReadyView) and ready.used_fraction == 0.5
    # No problem left by the time the screen refreshes: show the idle screen.
    assert isinstance(view_for(Screen.PROBLEM, STATUS), ReadyView)
    status = DeviceStatus("c", STATUS.effective_now, True, "network",
                          problem=Problem.STORAGE_FULL, wipe_remaining=2.5)
    assert view_for(Screen.PROBLEM, status) == ProblemView(Problem.STORAGE_FULL, "")
    assert view_for(Screen.WIPE_COUNTDOWN, status) == WipeCountdownView(2.5, 5.0, ready=False)


def test_stations_on_the_wifi_and_cargo_too_big_reach_the_session_screens() -> None:
    from courier.panel.views import ClientsView, SessionView  # noqa: PLC0415

    status = DeviceStatus("c", STATUS.effective_now, True, "network", ssid="s", passphrase="p",
                          stations=2, too_big=3)
    assert view_for(Screen.SESSION, status) == SessionView("s", "p", 2, None)
    assert view_for(Screen.CLIENTS, status) == ClientsView((), too_big=3)


def test_the_wifi_uplink_words_reach_the_wifi_screen() -> None:
    from dataclasses import replace  # noqa: PLC0415

    from courier.panel.views import WifiView  # noqa: PLC0415

    status = replace(STATUS, wifi="Joining Office")
    assert view_for(Screen.WIFI, status) == WifiView("Joining Office")


def test_the_update_fields_reach_the_update_screens() -> None:
    from dataclasses import replace  # noqa: PLC0415

    from courier.panel.views import UpdateOfferView, UpdatingView  # noqa: PLC0415

    status = replace(STATUS, version="0.1.0", update_offer="0.1.1", update_source="USB stick",
                     update_percent=42, update_words="Installing 0.1.1")
    assert view_for(Screen.UPDATE_OFFER, status) == UpdateOfferView("0.1.0", "0.1.1",
                                                                    "USB stick")
    assert view_for(Screen.UPDATING, status) == UpdatingView(42, "Installing 0.1.1")
    status = replace(status, problem=Problem.UPDATE_FAILED, problem_detail="bad signature")
    assert view_for(Screen.PROBLEM, status) == ProblemView(Problem.UPDATE_FAILED, "bad signature")
