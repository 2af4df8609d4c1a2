"""Layered configuration: defaults, file, drop-ins, environment, overrides; all errors at once."""

import tomllib
from pathlib import Path

import pytest

from courier.cli import main
from courier.config import Config, as_masked_dict, load_config
from courier.errors import ConfigError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_any_file(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml", environ={})
    assert config == Config()
    assert config.server.listen == ("0.0.0.0:21473",)


def test_layers_apply_in_order(tmp_path: Path) -> None:
    main_file = _write(tmp_path / "courier.toml", """
[device]
name = "from-file"
[session]
idle_close_seconds = 100
[internet]
gateways = { "gw.example" = "127.0.0.1:1234" }
""")
    _write(tmp_path / "courier.toml.d" / "10-site.toml", '[session]\nidle_close_seconds = 200\n')
    environ = {"COURIER_SESSION__ALWAYS_OPEN": "true", "COURIER_DEVICE__NAME": "from-env",
               "UNRELATED": "x"}
    config = load_config(main_file, environ=environ, overrides={"device": {"hardware": "rpi"}})
    assert config.device.name == "from-env"
    assert config.device.hardware == "rpi"
    assert config.session.idle_close_seconds == 200
    assert config.session.always_open is True
    assert dict(config.internet.gateways) == {"gw.example": "127.0.0.1:1234"}


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = _write(tmp_path / "courier.toml", """
[device]
hardware = "toaster"
colour = "red"
[server]
listen = ["nohost"]
[store]
quota_fraction = "lots"
[nonsense]
x = 1
""")
    with pytest.raises(ConfigError) as caught:
        load_config(bad, environ={"COURIER_SESSION__IDLE_CLOSE_SECONDS": "-5"})
    text = "\n".join(caught.value.problems)
    for fragment in ("hardware must be one of", "unknown key 'colour'", "'nohost' is not HOST:PORT",
                     "quota_fraction = 'lots' is not a float", "unknown section [nonsense]",
                     "idle_close_seconds must not be negative"):
        assert fragment in text
    assert len(caught.value.problems) == 6


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    bad = _write(tmp_path / "courier.toml", "[device\n")
    with pytest.raises(ConfigError, match=r"courier\.toml"):
        load_config(bad, environ={})


def test_secrets_are_masked_for_display(tmp_path: Path) -> None:
    conf = _write(tmp_path / "c.toml", '[hotspot]\nssid = "Courier-1"\npassphrase = "hunter22"\n')
    shown = as_masked_dict(load_config(conf, environ={}))
    assert shown["hotspot"]["ssid"] == "Courier-1"
    assert shown["hotspot"]["passphrase"] == "********"


@pytest.mark.parametrize(("url", "shown"), [
    ("https://updates.example.org/courier/current.raucb",
     "https://updates.example.org/courier/current.raucb"),
    ("https://fleet:s3cret@updates.example.org/c.raucb?token=abc#x",
     "https://updates.example.org/c.raucb (login/query hidden)"),
])
def test_the_update_url_is_shown_without_login_or_query(tmp_path: Path, url: str,
                                                         shown: str) -> None:
    conf = _write(tmp_path / "c.toml", f'[update]\nurl = "{url}"\n')
    assert as_masked_dict(load_config(conf, environ={}))["update"]["url"] == shown


def test_config_show_prints_valid_toml_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    conf = _write(tmp_path / "c.toml", '[hotspot]\npassphrase = "hunter22"\n'
                  '[internet]\ngateways = { "gw.example" = "h:1" }\n')
    assert main(["config", "show", "--config", str(conf)]) == 0
    out = capsys.readouterr().out
    assert "hunter22" not in out
    parsed = tomllib.loads(out)
    assert parsed["hotspot"]["passphrase"] == "********"
    assert parsed["internet"]["gateways"] == {"gw.example": "h:1"}


def test_config_check_exits_non_zero_on_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    conf = _write(tmp_path / "c.toml", '[device]\nhardware = "x"\n')
    assert main(["config", "check", "--config", str(conf)]) == 2
    assert "hardware must be one of" in capsys.readouterr().err


@pytest.mark.parametrize("subnet", ["100.64.0.0/24", "192.0.2.0/24", "172.32.0.0/24",
                                    "8.8.8.0/24", "fd00::/64"])
def test_a_hotspot_subnet_outside_rfc_1918_is_refused(subnet: str) -> None:
    # The Android gateway trusts a self-issued certificate only on a site-local address.
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={}, overrides={"hotspot": {"subnet": subnet}})
    assert any("10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16" in p for p in caught.value.problems)


@pytest.mark.parametrize("subnet", ["10.97.0.0/24", "172.31.5.0/24", "192.168.4.0/22"])
def test_rfc_1918_hotspot_subnets_are_accepted(subnet: str) -> None:
    assert load_config(None, environ={},
                       overrides={"hotspot": {"subnet": subnet}}).hotspot.subnet == subnet


def test_collection_settings_have_the_field_defaults() -> None:
    server = Config().server
    assert server.small_message_agents == ("grpc-java-okhttp/",)
    assert server.collect_expiry_margin_seconds == 7200
    assert server.collect_deadline_seconds == 10.0


def test_update_section_is_read_from_files_and_environment(tmp_path: Path) -> None:
    conf = _write(tmp_path / "c.toml", '[update]\nurl = "https://updates.example/courier.raucb"\n')
    config = load_config(conf, environ={"COURIER_UPDATE__MAX_BYTES": "1000"})
    assert config.update.url == "https://updates.example/courier.raucb"
    assert config.update.max_bytes == 1000
    assert config.update.ca_file == ""
    assert Config().update.url == ""
    assert Config().update.max_bytes == 768 * 1024 * 1024


@pytest.mark.parametrize("url", [
    "http://updates.example/b.raucb", "ftp://updates.example/b.raucb", "updates.example/b.raucb",
    "https:///b.raucb", "https://updates.example:port/b.raucb", "https://up dates.example/b",
])
def test_an_update_url_that_is_not_https_is_refused(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={}, overrides={"update": {"url": url + "?token=s3cret"}})
    assert any("[update] url must be an HTTPS address" in p for p in caught.value.problems)
    assert not any("s3cret" in p for p in caught.value.problems)


@pytest.mark.parametrize("max_bytes", [0, -1])
def test_update_max_bytes_must_be_positive(max_bytes: int) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={}, overrides={"update": {"max_bytes": max_bytes}})
    assert "[update] max_bytes must be positive" in caught.value.problems


def test_an_https_update_url_is_accepted() -> None:
    url = "https://user:pw@updates.example:8443/org/courier.raucb?token=x"
    assert load_config(None, environ={}, overrides={"update": {"url": url}}).update.url == url
