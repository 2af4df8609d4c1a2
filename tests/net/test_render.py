"""Rendered hostapd/dnsmasq/nftables files, the addressing plan and the Wi-Fi credentials."""

import ipaddress
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from courier.config import Config
from courier.errors import NetworkError
from courier.net.credentials import (
    WifiCredentials,
    ensure_wifi_credentials,
    generate_wifi_credentials,
    load_wifi_credentials,
)
from courier.net.plan import CROWDED_SUBNETS, is_crowded, make_plan
from courier.net.radio import choose_channel, usable_channels
from courier.net.render import RadioSettings, render_dnsmasq, render_hostapd, render_nftables

GOLDEN = Path(__file__).parent / "golden"
CREDENTIALS = WifiCredentials(ssid="Courier-AB3C", passphrase="abcd-efgh-jkmn-pqrt")
PLAN = make_plan("wlan0", Config().hotspot.subnet)


def _golden(name: str, text: str) -> None:
    expected = (GOLDEN / name).read_text()
    assert text == expected, f"{name} changed; if intended, update tests/net/golden/{name}"


def test_default_subnet_avoids_the_ones_phones_and_tools_use() -> None:
    assert not is_crowded(Config().hotspot.subnet)
    for crowded in CROWDED_SUBNETS:
        assert is_crowded(str(crowded))


def test_plan_gives_courier_the_first_address_and_leases_the_rest() -> None:
    assert PLAN.address == ipaddress.IPv4Address("10.97.0.1")
    assert PLAN.dhcp_first == ipaddress.IPv4Address("10.97.0.2")
    assert PLAN.dhcp_last == ipaddress.IPv4Address("10.97.0.254")
    with pytest.raises(NetworkError):
        make_plan("wlan0", "10.97.0.0/30")
    with pytest.raises(NetworkError):
        make_plan("wlan0", "fd00::/64")


def test_hostapd_wpa2_golden() -> None:
    radio = RadioSettings(country="de", channel=6, max_clients=10, wpa3=False)
    _golden("hostapd-wpa2.conf", render_hostapd(PLAN, CREDENTIALS, radio, "/run/courier-net/h"))


def test_hostapd_wpa3_transition_on_5ghz_golden() -> None:
    radio = RadioSettings(country="GB", channel=36, max_clients=8, wpa3=True)
    _golden("hostapd-wpa3-5ghz.conf", render_hostapd(PLAN, CREDENTIALS, radio, "/run/h"))


def test_dnsmasq_golden_and_accepted_by_dnsmasq(tmp_path: Path) -> None:
    text = render_dnsmasq(PLAN, "/run/courier-net")
    _golden("dnsmasq.conf", text)
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq not installed")
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(text)
    result = subprocess.run(["dnsmasq", "--test", f"--conf-file={conf}"], capture_output=True,
                            text=True, check=False, timeout=10)
    assert result.returncode == 0, result.stderr
    assert "syntax check OK" in result.stderr


def test_nftables_golden() -> None:
    _golden("nftables.nft", render_nftables(["wlan0"], ["eth1"]))


@pytest.mark.parametrize("bad", ["x\nwpa=0", "tab\there", ""])
def test_injection_through_settings_is_refused(bad: str) -> None:
    radio = RadioSettings(country="DE", channel=6, max_clients=10, wpa3=False)
    with pytest.raises(NetworkError):
        render_hostapd(PLAN, WifiCredentials(ssid=bad, passphrase="abcdefgh"), radio, "/run/h")
    with pytest.raises(NetworkError):
        render_nftables([bad or "x" * 16], [])


def test_hostapd_refuses_channels_that_do_not_exist() -> None:
    with pytest.raises(NetworkError, match="channel 15"):
        render_hostapd(PLAN, CREDENTIALS, RadioSettings("DE", 15, 10, False), "/run/h")


def test_credentials_are_created_once_private_and_readable(tmp_path: Path) -> None:
    first = ensure_wifi_credentials(tmp_path)
    assert ensure_wifi_credentials(tmp_path) == first == load_wifi_credentials(tmp_path)
    path = tmp_path / "keys" / "wifi.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert first.ssid.startswith("Courier-") and len(first.ssid) == 12
    assert 8 <= len(first.passphrase) <= 63
    assert first.passphrase not in repr(first)
    assert not set(first.passphrase) & set("0O1lIZ2S5")


def test_generated_credentials_differ_between_devices() -> None:
    assert len({generate_wifi_credentials() for _ in range(50)}) == 50


def test_missing_or_corrupt_credentials_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="courier init"):
        load_wifi_credentials(tmp_path)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "wifi.json").write_text(json.dumps({"ssid": "x"}))
    with pytest.raises(NetworkError, match="unreadable"):
        load_wifi_credentials(tmp_path)


def test_hostapd_without_a_country_stays_in_the_world_domain_golden() -> None:
    radio = RadioSettings(country="", channel=11, max_clients=10, wpa3=False)
    text = render_hostapd(PLAN, CREDENTIALS, radio, "/run/courier-net/h")
    _golden("hostapd-no-country.conf", text)
    assert "country_code" not in text and "ieee80211d" not in text


@pytest.mark.parametrize(("country", "wanted", "usable", "expected"), [
    ("", 6, None, 6), ("", 1, None, 1), ("", 11, None, 11),
    ("", 13, None, 6), ("", 36, None, 6),                 # not allowed everywhere
    ("DE", 13, None, 13), ("DE", 36, frozenset({36, 40}), 36),
    ("DE", 36, frozenset({1, 6, 11}), 6),                 # a 2.4 GHz-only board (Zero 2 W)
    ("US", 52, frozenset({36, 40}), 6),                   # DFS: no access point at once
])
def test_channel_follows_the_country_and_the_radio(
        country: str, wanted: int, usable: frozenset[int] | None, expected: int) -> None:
    channel, why = choose_channel(country, wanted, usable)
    assert channel == expected
    assert bool(why) == (expected != wanted)


def test_usable_channels_are_read_from_iw_phy_info() -> None:
    info = """\
		Frequencies:
			* 2412 MHz [1] (20.0 dBm)
			* 2467 MHz [12] (20.0 dBm) (no IR)
			* 2484 MHz [14] (disabled)
			* 5180 MHz [36] (23.0 dBm)
			* 5260 MHz [52] (20.0 dBm) (no IR, radar detection)
"""
    assert usable_channels(info) == frozenset({1, 36})


def test_a_channel_outside_the_world_set_without_a_country_is_refused() -> None:
    radio = RadioSettings(country="", channel=13, max_clients=10, wpa3=False)
    with pytest.raises(NetworkError):
        render_hostapd(PLAN, CREDENTIALS, radio, "/run/h")


def test_the_daemons_group_may_ask_hostapd_for_its_stations() -> None:
    radio = RadioSettings("DE", 6, 10, False)
    text = render_hostapd(PLAN, CREDENTIALS, radio, "/run/courier-net/h", "courier")
    assert "ctrl_interface=/run/courier-net/h\nctrl_interface_group=courier\n" in text
    assert "ctrl_interface_group" not in render_hostapd(PLAN, CREDENTIALS, radio, "/run/h")
