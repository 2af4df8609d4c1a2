"""The uplink's wpa_supplicant.conf and what wpa_supplicant says (pure; used for real in hwsim)."""

import pytest

from courier.config import UplinkWifi
from courier.errors import NetworkError
from courier.net.wpa import refused_key, render_wpa_supplicant, scan_results, wpa_psk


def test_psk_matches_the_ieee_test_vector() -> None:
    # IEEE 802.11i-2004 H.4.1, test case 1 (also wpa_passphrase "IEEE" "password").
    assert wpa_psk("IEEE", "password") == (
        "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e")


def test_no_passphrase_in_clear_and_no_name_can_escape_its_line() -> None:
    text = render_wpa_supplicant(
        [UplinkWifi('Caf\u00e9 "x"\nnetwork={', passphrase="secret-passphrase"),
         UplinkWifi("Office", psk="AB" * 32)], "ke", "/run/courier-net/wpa")
    assert "secret-passphrase" not in text and "\nnetwork={\n" in text
    assert text.count("network={") == 2 and "country=KE" in text
    assert f"psk={'ab' * 32}" in text and "ssid=4f6666696365" in text


def test_no_country_line_without_a_country_and_bad_values_are_refused() -> None:
    assert "country=" not in render_wpa_supplicant([], "", "/run/w")
    with pytest.raises(NetworkError):
        render_wpa_supplicant([], "KEN", "/run/w")
    with pytest.raises(NetworkError):
        render_wpa_supplicant([UplinkWifi("x", psk="zz" * 32)], "", "/run/w")


def test_scan_results_keep_the_strongest_signal_per_name() -> None:
    text = ("bssid / frequency / signal level / flags / ssid\n"
            "02:00:00:00:00:00\t2412\t-30\t[WPA2-PSK-CCMP][ESS]\tOffice\n"
            "02:00:00:00:01:00\t2437\t-70\t[WPA2-PSK-CCMP][ESS]\tOffice\n"
            "02:00:00:00:02:00\t2462\t-55\t[ESS]\tCaf\\xc3\\xa9 \\\"Lagos\\\"\n")
    assert scan_results(text) == {"Office": -30, 'Café "Lagos"': -55}


def test_a_refused_key_is_recognised() -> None:
    assert refused_key("wlan1: CTRL-EVENT-SSID-TEMP-DISABLED id=0 ssid=\"Office\" auth_failures=1 "
                       "duration=10 reason=WRONG_KEY")
    assert not refused_key("wlan1: CTRL-EVENT-CONNECTED - Connection to 02:00:00:00:00:00")
