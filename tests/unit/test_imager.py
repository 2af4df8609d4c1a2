"""Raspberry Pi Imager's customisation: taken (country, time zone, Wi-Fi), the rest ignored."""

import json
import stat
from pathlib import Path

import pytest

from courier.imager import clean_cmdline, read_customisation
from courier.imager_apply import imager_notice, imager_record_path, neutralise
from courier.settings_load import load_with_settings, notices
from courier.settings_secrets import uplink_secrets_path
from tests.imager_files import FORMATS, PRISTINE_CMDLINE, PSK

ABSENT = Path("/nonexistent/courier.toml")


@pytest.mark.parametrize("init_format", sorted(FORMATS))
def test_each_format_gives_country_time_zone_and_wifi(init_format: str) -> None:
    files, cmdline, country, zone, wifi = FORMATS[init_format]
    found = read_customisation(files, cmdline)
    assert found is not None
    assert (found.country, found.time_zone, found.wifi_name, found.wifi_secret) == (
        country, zone, wifi, PSK)
    assert clean_cmdline(cmdline) == PRISTINE_CMDLINE
    assert PSK not in repr(found)


def test_accounts_and_ssh_are_named_as_ignored() -> None:
    systemd = read_customisation(*FORMATS["systemd"][:2])
    cloud = read_customisation(*FORMATS["cloudinit"][:2])
    assert systemd is not None and cloud is not None
    assert {"user account", "SSH", "host name", "keyboard"} <= set(systemd.ignored)
    assert {"user account", "SSH", "host name", "keyboard"} <= set(cloud.ignored)


def test_a_card_without_imager_is_left_alone(tmp_path: Path) -> None:
    assert read_customisation({}, PRISTINE_CMDLINE) is None
    (tmp_path / "cmdline.txt").write_text(PRISTINE_CMDLINE + "\n")
    assert neutralise(tmp_path, tmp_path / "data") is None
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("init_format", sorted(FORMATS))
def test_neutralised_card_boots_normally_and_the_settings_are_taken(
        tmp_path: Path, init_format: str) -> None:
    files, cmdline, country, zone, wifi = FORMATS[init_format]
    boot, data = tmp_path / "boot", tmp_path / "data"
    boot.mkdir()
    for name, text in files.items():
        (boot / name).write_text(text)
    (boot / "cmdline.txt").write_text(cmdline)
    (boot / "config.txt").write_text("kernel=vmlinuz\n")
    assert neutralise(boot, data) is not None
    assert sorted(p.name for p in boot.iterdir()) == ["cmdline.txt", "config.txt"]
    assert (boot / "cmdline.txt").read_text() == PRISTINE_CMDLINE + "\n"
    assert stat.S_IMODE(imager_record_path(data).stat().st_mode) == 0o600
    assert PSK not in imager_record_path(data).read_text()
    assert json.loads(uplink_secrets_path(data).read_text()) == {wifi: {"psk": PSK}}
    config, _ = load_with_settings(ABSENT, boot / "courier.toml",
                                   {"device": {"data_dir": str(data)}})
    assert (config.hotspot.country, config.clock.time_zone) == (country, zone)
    assert [(n.name, n.psk) for n in config.uplink.wifi] == [(wifi, PSK)]
    assert neutralise(boot, data) is None  # done once


def test_the_settings_file_wins_over_imager_and_networks_add_up(tmp_path: Path) -> None:
    files, cmdline, *_ = FORMATS["systemd"]
    boot, data = tmp_path / "boot", tmp_path / "data"
    boot.mkdir()
    (boot / "firstrun.sh").write_text(files["firstrun.sh"])
    (boot / "cmdline.txt").write_text(cmdline)
    neutralise(boot, data)
    (boot / "courier.toml").write_text('[hotspot]\ncountry = "UG"\n[[uplink.wifi]]\n'
                                       'name = "Home"\npassphrase = "home-passphrase"\n')
    config, settings = load_with_settings(ABSENT, boot / "courier.toml",
                                          {"device": {"data_dir": str(data)}})
    assert config.hotspot.country == "UG" and config.clock.time_zone == "Africa/Nairobi"
    assert [n.name for n in config.uplink.wifi] == ["Home", "Kisumu Office's"]
    said = notices(config, settings, hotspot=True)
    assert said == (imager_notice(data),)
    assert said[0] == "Imager: country, time zone, Wi-Fi taken; user and SSH ignored (no login)"
