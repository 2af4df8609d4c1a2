"""When a press looks for Wi-Fi: networks set, a helper for the radio, a hotspot that may close."""

import logging
from dataclasses import replace

import pytest

from courier.app.device import session_settings
from courier.config import Config, UplinkConfig, UplinkWifi

OFFICE = UplinkConfig(wifi=(UplinkWifi("Office", passphrase="office-pass-1"),))


def test_a_press_looks_for_wifi_only_with_networks_and_the_helper() -> None:
    assert session_settings(replace(Config(), uplink=OFFICE)).wifi_press
    assert not session_settings(Config()).wifi_press  # no networks set
    assert not session_settings(replace(Config(), uplink=OFFICE), network=False).wifi_press


def test_an_always_open_hotspot_is_never_closed_for_wifi_and_the_log_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    config = replace(Config(), uplink=OFFICE,
                     session=replace(Config().session, always_open=True))
    with caplog.at_level(logging.WARNING):
        settings = session_settings(config)
    assert settings.wifi_uplink and not settings.wifi_press
    assert "the hotspot is always open: a press never closes it for Wi-Fi" in caplog.text
