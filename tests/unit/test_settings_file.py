"""The boot partition's settings file: template, problems by line, valid parts applied, secrets."""

import json
import re
import stat
from pathlib import Path

import pytest

from courier.cli import main
from courier.commands.settings import template
from courier.config import Config, UplinkWifi
from courier.settings_file import COUNTRY_NOTICE, panel_notices, parse_settings
from courier.settings_load import load_with_settings
from courier.settings_secrets import load_settings, move_secrets, uplink_secrets_path

ABSENT = Path("/nonexistent/courier.toml")
SECRETS_FILE = """[hotspot]
country = "KE"
passphrase = "hotspot-secret-1"

[[uplink.wifi]]
name = "Office"
passphrase = "office-secret-2"

[[uplink.wifi]]
name = "Cafe"
psk = "{psk}"
""".format(psk="ab" * 32)


def _uncommented(text: str) -> str:
    """Return the template with every example setting switched on."""
    return re.sub(r"^#(\[|[a-z_]+ =)", r"\1", text, flags=re.MULTILINE)


def test_the_template_parses_to_the_defaults(tmp_path: Path) -> None:
    boot = tmp_path / "courier.toml"
    boot.write_text(template())
    config, settings = load_with_settings(ABSENT, boot, {"device": {"data_dir": str(tmp_path)}})
    assert settings.problems == ()
    assert config == Config(device=Config().device.__class__(data_dir=str(tmp_path)))


def test_every_example_in_the_template_is_valid_and_means_what_it_says() -> None:
    settings = parse_settings(_uncommented(template()))
    assert settings.problems == ()
    assert settings.layer["hotspot"]["country"] == "KE"
    assert settings.layer["uplink"]["wifi"] == [
        {"name": "Office Wi-Fi", "passphrase": "the office passphrase"}]


@pytest.mark.parametrize(("line", "fragment"), [
    ('country = "Kenya"', 'country must be two letters, e.g. "KE"'),
    ("country = KE", "cannot be read"),
    ('channel = "six"', "channel = 'six' is not a whole number"),
    ("channel = 15", "channel must be a Wi-Fi channel"),
    ("wpa3 = 1", "wpa3 = 1 is not true or false"),
    ("max_clients = 5", "already set above: keep only one"),
    ('colour = "red"', "unknown key 'colour'"),
])
def test_each_bad_value_is_reported_with_its_line_and_the_rest_applies(
        line: str, fragment: str) -> None:
    text = f'# my settings\n\n[hotspot]\nmax_clients = 4\n{line}\n[device]\nname = "ok-name"\n'
    settings = parse_settings(text)
    assert [str(p) for p in settings.problems] == [
        f"Settings file line 5: {p.message}" for p in settings.problems]
    assert len(settings.problems) == 1 and fragment in settings.problems[0].message
    assert settings.layer["device"]["name"] == "ok-name"
    assert settings.layer["hotspot"]["max_clients"] == 4


def test_all_problems_at_once_and_the_device_starts_with_the_valid_parts(tmp_path: Path) -> None:
    boot = tmp_path / "courier.toml"
    boot.write_text('[hotspot]\ncountry = "Kenya"\nchannel = 11\n[device]\ndata_dir = "/x"\n'
                    '[[uplink.wifi]]\nname = "Shop"\npassphrase = "short"\n[nonsense]\nx = 1\n')
    config, settings = load_with_settings(ABSENT, boot, {"device": {"data_dir": str(tmp_path)}})
    assert [p.line for p in settings.problems] == [2, 5, 8, 9]
    assert "cannot be set in this file" in settings.problems[1].message
    assert "passphrase must be 8 to 63 characters" in settings.problems[2].message
    assert "short" not in str(settings.problems)  # a passphrase is never echoed
    assert config.hotspot.channel == 11 and config.hotspot.country == ""
    assert config.device.data_dir == str(tmp_path) and config.uplink.wifi == ()
    notices = panel_notices(settings, config.hotspot.country)
    assert notices[0] == 'Settings line 2: country must be two letters, e.g. "KE" (or "" when ' \
                         'unknown)'
    assert notices[-1] == COUNTRY_NOTICE


def test_secrets_are_moved_blanked_explained_and_still_used(tmp_path: Path) -> None:
    boot, data = tmp_path / "courier.toml", tmp_path / "data"
    boot.write_text(SECRETS_FILE)
    assert move_secrets(boot, data) == 3
    text = boot.read_text()
    for secret in ("hotspot-secret-1", "office-secret-2", "ab" * 32):
        assert secret not in text
    assert text.count("was moved into the courier") == 3
    assert 'passphrase = ""' in text and 'psk = ""' in text
    wifi = json.loads((data / "keys" / "wifi.json").read_text())
    assert wifi["passphrase"] == "hotspot-secret-1" and wifi["ssid"].startswith("Courier-")
    stored = uplink_secrets_path(data)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    config, settings = load_with_settings(ABSENT, boot, {"device": {"data_dir": str(data)}})
    assert settings.problems == ()
    assert config.hotspot.country == "KE"
    assert config.uplink.wifi == (UplinkWifi("Office", passphrase="office-secret-2"),
                                  UplinkWifi("Cafe", psk="ab" * 32))
    assert move_secrets(boot, data) == 0  # nothing left to move: the file is not rewritten
    assert boot.read_text() == text


def test_a_new_passphrase_written_later_replaces_the_stored_one(tmp_path: Path) -> None:
    boot, data = tmp_path / "courier.toml", tmp_path / "data"
    boot.write_text(SECRETS_FILE)
    move_secrets(boot, data)
    boot.write_text(boot.read_text().replace(
        'name = "Office"\n' + _note_line(boot) + '\npassphrase = ""',
        'name = "Office"\npassphrase = "changed-secret-3"'))
    assert move_secrets(boot, data) == 1
    config, _ = load_with_settings(ABSENT, boot, {"device": {"data_dir": str(data)}})
    assert config.uplink.wifi[0].passphrase == "changed-secret-3"


def _note_line(boot: Path) -> str:
    return next(line for line in boot.read_text().splitlines() if "moved into" in line)


def test_windows_line_ends_and_byte_order_mark_are_kept(tmp_path: Path) -> None:
    boot, data = tmp_path / "courier.toml", tmp_path / "data"
    boot.write_bytes(b"\xef\xbb\xbf" + SECRETS_FILE.replace("\n", "\r\n").encode())
    assert move_secrets(boot, data) == 3
    raw = boot.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\n" not in raw.replace(b"\r\n", b"")
    assert load_settings(boot, data).problems == ()


def test_invalid_secrets_stay_and_are_reported(tmp_path: Path) -> None:
    boot, data = tmp_path / "courier.toml", tmp_path / "data"
    boot.write_text('[hotspot]\npassphrase = "short"\n')
    assert move_secrets(boot, data) == 0
    assert load_settings(boot, data).problems[0].line == 2


def test_settings_check_and_config_show_never_print_a_secret(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    boot = tmp_path / "courier.toml"
    boot.write_text(SECRETS_FILE + '[session]\nidle_close_seconds = "soon"\n')
    assert main(["settings", "check", "--file", str(boot), "--config", str(ABSENT),
                 "--data-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "Settings file line 13: idle_close_seconds = 'soon' is not a whole number" in out
    assert "secret" not in out and "abab" not in out
    assert main(["settings", "apply", "--file", str(boot), "--config", str(ABSENT),
                 "--data-dir", str(tmp_path)]) == 0
    assert "secret" not in boot.read_text()
    capsys.readouterr()
    boot.write_text(boot.read_text().replace('idle_close_seconds = "soon"', ""))
    environ = {"COURIER_DEVICE__DATA_DIR": f'"{tmp_path}"'}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        assert main(["config", "show", "--config", str(ABSENT), "--settings-file",
                     str(boot)]) == 0
    shown = capsys.readouterr().out
    assert '"name" = "Office"' in shown or 'name = "Office"' in shown
    assert "secret" not in shown and "abab" not in shown and "********" in shown
