"""Layered configuration: defaults, /etc/courier/courier.toml, drop-ins, environment, CLI flags."""

import dataclasses
import ipaddress
import os
import tomllib
import types
import typing
import urllib.parse
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from courier.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("/etc/courier/courier.toml")
ENV_PREFIX = "COURIER_"
SECRET_KEYS = frozenset({"passphrase", "psk"})
HARDWARE_BACKENDS = frozenset({"sim", "rpi"})
DISPLAYS = frozenset({"ssd1306", "sh1106", "none"})


@dataclass(frozen=True)
class DeviceConfig:
    """Who the device is and which board it drives."""

    name: str = "courier"
    hardware: str = "sim"
    data_dir: str = "/var/lib/courier"


@dataclass(frozen=True)
class ServerConfig:
    """The CogRPC server for private gateways."""

    listen: tuple[str, ...] = ("0.0.0.0:21473",)
    tls_address: str = "10.97.0.1"
    max_concurrent_calls: int = 64
    max_streams_per_connection: int = 3
    # Clients whose user agent starts with one of these cannot receive a message over 4 MiB:
    # grpc-java OkHttp's default, kept by the Android gateway (PROTOCOL.md section 10).
    small_message_agents: tuple[str, ...] = ("grpc-java-okhttp/",)
    # Cargo expiring within this is not handed out: a phone's clock may be this far ahead,
    # and the Android gateway ends its sync on a cargo expired by its clock.
    collect_expiry_margin_seconds: int = 7200
    # A CollectCargo call without a client deadline ends after this: the longest real client
    # deadline (5 s, JVM) plus a margin.
    collect_deadline_seconds: float = 10.0
    # Hostile-hotspot limits (docs/cogrpc-server.md, "Limits against abuse").
    max_calls_per_client: int = 4
    delivery_idle_seconds: float = 10.0
    handshake_timeout_seconds: float = 5.0


@dataclass(frozen=True)
class StoreConfig:
    """Quota and fairness of the cargo store."""

    quota_fraction: float = 0.8
    quota_bytes: int = 0
    cca_reserve_bytes: int = 16 * 1024 * 1024
    per_sender_fraction: float = 0.25
    reclaim_interval_seconds: int = 600  # expired objects are also reclaimed before "full"


@dataclass(frozen=True)
class SessionConfig:
    """When the hotspot session opens and closes."""

    idle_close_seconds: int = 600
    always_open: bool = False
    # courier-net's run directory (`courier net-setup --run-dir`): the idle close counts the
    # stations hostapd reports there and the leases dnsmasq writes there.
    net_run_dir: str = "/run/courier-net"


@dataclass(frozen=True)
class InternetConfig:
    """Delivery to and collection from Internet gateways."""

    reply_wait_seconds: float = 10.0
    concurrency: int = 4
    gateways: Mapping[str, str] = field(default_factory=dict)
    ca_file: str = ""
    # HOST:PORT that must answer a TCP connection for an uplink to count ("" = the route alone).
    probe: str = ""  # HOST:PORT; empty: a held gateway's SRV record must resolve


@dataclass(frozen=True)
class HotspotConfig:
    """The Wi-Fi access point and the wired LANs served."""

    interface: str = "wlan0"
    # "" = not set: only channels allowed everywhere (1, 6, 11) and the panel asks for it.
    country: str = ""
    channel: int = 6
    subnet: str = "10.97.0.0/24"
    max_clients: int = 10
    wpa3: bool = False
    lan_interfaces: tuple[str, ...] = ()
    ssid: str = ""
    passphrase: str = ""


@dataclass(frozen=True)
class ClockConfig:
    """Where network time is seen (the drift tolerance is the protocol's DEFAULT_CLOCK_DRIFT)."""

    # systemd-timesyncd creates this once it has synchronised the system clock: network time.
    ntp_flag: str = "/run/systemd/timesync/synchronized"
    ntp_check_seconds: int = 30
    time_zone: str = ""  # IANA name, e.g. "Africa/Nairobi" (from the settings file or Imager)


@dataclass(frozen=True)
class PanelConfig:
    """Display, button and LEDs (BCM pin numbers)."""

    display: str = "ssd1306"
    i2c_port: int = 1
    i2c_address: int = 0x3C
    button_pin: int = 17
    status_led_pin: int = 27
    activity_led_pin: int = 22


@dataclass(frozen=True)
class UplinkWifi:
    """A Wi-Fi network the courier may join for an Internet sync."""

    name: str
    passphrase: str = ""
    psk: str = ""  # 64 hex digits, instead of a passphrase

    def __repr__(self) -> str:
        return f"UplinkWifi(name={self.name!r}, passphrase='********', psk='********')"


@dataclass(frozen=True)
class UplinkConfig:
    """Networks for Internet syncs when no cable is plugged in (usually from the settings file)."""

    wifi: tuple[UplinkWifi, ...] = ()


@dataclass(frozen=True)
class UpdateConfig:
    """Where system-update bundles are downloaded from (docs/updates.md)."""

    # HTTPS address of the organisation's current bundle ("" = no download).
    url: str = ""
    # PEM file of CA certificates trusted for `url` instead of the system's ("" = the system's).
    ca_file: str = ""
    max_bytes: int = 768 * 1024 * 1024  # a bundle is about 273 MB
    # courier-update.service's run directory (its --run-dir): the daemon reads its status there.
    helper_run_dir: str = "/run/courier-update"


@dataclass(frozen=True)
class Config:
    """The whole effective configuration."""

    device: DeviceConfig = field(default_factory=DeviceConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    session: SessionConfig = field(default_factory=SessionConfig)
    internet: InternetConfig = field(default_factory=InternetConfig)
    hotspot: HotspotConfig = field(default_factory=HotspotConfig)
    clock: ClockConfig = field(default_factory=ClockConfig)
    panel: PanelConfig = field(default_factory=PanelConfig)
    uplink: UplinkConfig = field(default_factory=UplinkConfig)
    update: UpdateConfig = field(default_factory=UpdateConfig)


def load_config(
    config_file: Path | None = DEFAULT_CONFIG_FILE,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Config:
    """Merge every layer into a Config; raise ConfigError listing every problem at once.

    `settings` is the boot partition's settings file, already checked (courier.settings_file).
    """
    problems: list[str] = []
    layers: list[Mapping[str, Any]] = []
    if config_file is not None:
        for path in [config_file, *sorted(config_file.with_suffix(".toml.d").glob("*.toml"))]:
            table = _read_toml(path, problems)
            if table:
                layers.append(table)
    if settings:
        layers.append(settings)
    layers.append(_environment_layer(os.environ if environ is None else environ, problems))
    if overrides:
        layers.append(overrides)
    merged: dict[str, dict[str, Any]] = {}
    for each in layers:
        for section, values in each.items():
            if not isinstance(values, Mapping):
                problems.append(f"[{section}] must be a table")
                continue
            merged.setdefault(section, {}).update(values)
    config = _build(merged, problems)
    problems.extend(check_config(config))
    if problems:
        raise ConfigError(problems)
    return config


def check_config(config: Config) -> list[str]:
    """Return the problems of values that have the right type but make no sense."""
    problems: list[str] = []
    checks: list[tuple[bool, str]] = [
        (config.device.hardware in HARDWARE_BACKENDS,
         f"[device] hardware must be one of {sorted(HARDWARE_BACKENDS)}"),
        (_is_ip(config.server.tls_address), "[server] tls_address must be an IP address"),
        (_is_network(config.hotspot.subnet), "[hotspot] subnet must be an IP network"),
        (not _is_network(config.hotspot.subnet) or _is_rfc1918(config.hotspot.subnet),
         "[hotspot] subnet must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 "
         "(the Android gateway trusts the courier's certificate only on such an address)"),
        (config.server.collect_expiry_margin_seconds >= 0,
         "[server] collect_expiry_margin_seconds must not be negative"),
        (config.server.collect_deadline_seconds > 0,
         "[server] collect_deadline_seconds must be positive"),
        (0 < config.store.quota_fraction <= 1, "[store] quota_fraction must be in (0, 1]"),
        (0 < config.store.per_sender_fraction <= 1,
         "[store] per_sender_fraction must be in (0, 1]"),
        (config.store.quota_bytes >= 0, "[store] quota_bytes must not be negative"),
        (config.store.cca_reserve_bytes >= 0, "[store] cca_reserve_bytes must not be negative"),
        (config.store.reclaim_interval_seconds > 0,
         "[store] reclaim_interval_seconds must be positive"),
        (config.session.idle_close_seconds >= 0,
         "[session] idle_close_seconds must not be negative"),
        (config.clock.ntp_check_seconds > 0, "[clock] ntp_check_seconds must be positive"),
        (config.internet.concurrency >= 1, "[internet] concurrency must be at least 1"),
        (1 <= config.server.max_calls_per_client < config.server.max_concurrent_calls,
         "[server] max_calls_per_client must be at least 1 and below max_concurrent_calls"),
        (config.server.delivery_idle_seconds > 0,
         "[server] delivery_idle_seconds must be positive"),
        (config.server.handshake_timeout_seconds > 0,
         "[server] handshake_timeout_seconds must be positive"),
        (config.hotspot.country == "" or (len(config.hotspot.country) == 2
                                           and config.hotspot.country.isascii()
                                           and config.hotspot.country.isalpha()),
         '[hotspot] country must be two letters, e.g. "KE" (or "" when unknown)'),
        (config.hotspot.passphrase == "" or 8 <= len(config.hotspot.passphrase) <= 63,
         "[hotspot] passphrase must be 8 to 63 characters"),
        (1 <= config.hotspot.channel <= 14 or 36 <= config.hotspot.channel <= 177,
         "[hotspot] channel must be a Wi-Fi channel (1 to 13, or 36 and above for 5 GHz)"),
        (config.panel.display in DISPLAYS, f"[panel] display must be one of {sorted(DISPLAYS)}"),
        (config.update.url == "" or _is_https_url(config.update.url),
         '[update] url must be an HTTPS address, "https://host/path" (or "" for none)'),
        (config.update.max_bytes > 0, "[update] max_bytes must be positive"),
    ]
    problems.extend(message for ok, message in checks if not ok)
    problems.extend(
        f"[server] listen {endpoint!r} is not HOST:PORT"
        for endpoint in config.server.listen if parse_endpoint(endpoint) is None
    )
    problems.extend(wifi_problems(config.uplink.wifi))
    if config.clock.time_zone and not _is_time_zone(config.clock.time_zone):
        problems.append(f"[clock] time_zone {config.clock.time_zone!r} is not a time zone "
                        '(e.g. "Africa/Nairobi")')
    if config.internet.probe and parse_endpoint(config.internet.probe) is None:
        problems.append(f"[internet] probe {config.internet.probe!r} is not HOST:PORT")
    problems.extend(
        f"[internet] gateways {address!r} = {endpoint!r} is not HOST:PORT"
        for address, endpoint in config.internet.gateways.items()
        if parse_endpoint(endpoint) is None
    )
    return problems


def wifi_problems(networks: tuple[UplinkWifi, ...]) -> list[str]:
    """Return what is wrong with the uplink Wi-Fi networks (WPA: passphrase 8-63 or 64 hex)."""
    problems: list[str] = []
    for network in networks:
        label = f"[uplink] Wi-Fi {network.name!r}"
        if not 1 <= len(network.name.encode()) <= 32:
            problems.append("[uplink] Wi-Fi name must be 1 to 32 bytes long")
        elif network.psk and not (len(network.psk) == 64 and _is_hex(network.psk)):
            problems.append(f"{label}: psk must be 64 hexadecimal digits")
        elif not network.psk and not 8 <= len(network.passphrase) <= 63:
            problems.append(f"{label}: passphrase must be 8 to 63 characters")
    return problems


def _is_https_url(text: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and text.isascii() \
        and not any(c.isspace() for c in text)


def _is_time_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_network(text: str) -> bool:
    try:
        ipaddress.ip_network(text)
    except ValueError:
        return False
    return True


_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                  "192.168.0.0/16"))


def _is_rfc1918(text: str) -> bool:
    network = ipaddress.ip_network(text)
    return any(isinstance(network, type(private)) and network.subnet_of(private)  # type: ignore[arg-type]
               for private in _RFC1918)


def parse_endpoint(text: str) -> tuple[str, int] | None:
    """Return (host, port) of HOST:PORT or [IPv6]:PORT, or None."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host.strip("[]"), int(port)


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as error:
        problems.append(f"{path}: {error}")
        return {}


def _environment_layer(environ: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """Read COURIER_SECTION__KEY=value variables (values parsed as TOML when they parse)."""
    layer: dict[str, dict[str, Any]] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, key = name.removeprefix(ENV_PREFIX).lower().split("__", 1)
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        layer.setdefault(section, {})[key] = value
    return layer


def _build(merged: Mapping[str, Mapping[str, Any]], problems: list[str]) -> Config:
    sections: dict[str, Any] = {}
    known = {f.name: f for f in dataclasses.fields(Config)}
    for section in merged:
        if section not in known:
            problems.append(f"unknown section [{section}]")
    for name in known:
        section_type = typing.get_type_hints(Config)[name]
        sections[name] = _build_section(name, section_type, merged.get(name, {}), problems)
    return Config(**sections)


def _build_section(
    name: str, section_type: type[Any], values: Mapping[str, Any], problems: list[str],
) -> Any:
    hints = typing.get_type_hints(section_type)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in hints:
            problems.append(f"[{name}] unknown key {key!r}")
            continue
        converted = _convert(value, hints[key])
        if converted is _INVALID:
            # Tables may hold passphrases: never echo them.
            shown = "..." if isinstance(value, list | Mapping) else _mask(key, value)
            problems.append(f"[{name}] {key} = {shown!r} is not a {_type_name(hints[key])}")
        else:
            kwargs[key] = converted
    return section_type(**kwargs)


_INVALID = object()


def _convert(value: Any, hint: Any) -> Any:
    """Return value as the hinted type, or _INVALID."""
    origin = typing.get_origin(hint)
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
        return _convert_tables(value, typing.get_args(hint)[0])
    if origin is tuple:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
            return _INVALID
        return tuple(items)
    if origin in (Mapping, dict) or hint is Mapping:
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            return _INVALID
        return types.MappingProxyType(dict(value))
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint in (str, bool) and type(value) is hint:
        return value
    return _INVALID


def _convert_tables(value: Any, item_type: Any) -> Any:
    """Return a list of TOML tables of strings as a tuple of `item_type`, or _INVALID."""
    names = {f.name for f in dataclasses.fields(item_type)}
    if not isinstance(value, list | tuple) or not all(
            isinstance(item, Mapping) and set(item) <= names and "name" in item
            and all(isinstance(v, str) for v in item.values()) for item in value):
        return _INVALID
    return tuple(item_type(**item) for item in value)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is tuple and dataclasses.is_dataclass(typing.get_args(hint)[0]):
        return "list of tables with a name"
    if origin is tuple:
        return "list of strings"
    if origin in (Mapping, dict):
        return "table of strings"
    return getattr(hint, "__name__", str(hint))


def _mask(key: str, value: Any) -> Any:
    if key == "url" and isinstance(value, str) and value:
        return _url_shown(value)
    return "********" if key in SECRET_KEYS and value else value


def _url_shown(url: str) -> str:
    """Return an address without what may be a token: its login, path's query and fragment."""
    scheme, _, rest = url.partition("://")
    host_part, slash, path = rest.partition("/")
    host = host_part.rpartition("@")[2]
    path = path.partition("?")[0].partition("#")[0]
    hidden = "@" in host_part or "?" in rest or "#" in rest
    return f"{scheme}://{host}{slash}{path}" + (" (login/query hidden)" if hidden else "")


def as_masked_dict(config: Config) -> dict[str, dict[str, Any]]:
    """Return the configuration as plain data with secrets masked, for display."""
    shown: dict[str, dict[str, Any]] = {}
    for section in dataclasses.fields(config):
        table = getattr(config, section.name)
        values = {f.name: getattr(table, f.name) for f in dataclasses.fields(table)}
        shown[section.name] = {key: _shown(key, value) for key, value in values.items()}
    return shown


def _shown(key: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return _mask(key, dict(value))
    if isinstance(value, tuple):
        return [{k: _mask(k, v) for k, v in dataclasses.asdict(item).items()}
                if dataclasses.is_dataclass(item) and not isinstance(item, type) else item
                for item in value]
    return _mask(key, value)


def setting_problems(section: str, key: str, value: Any) -> list[str]:
    """Return the problems of one setting on its own (the settings file reports them by line)."""
    problems: list[str] = []
    config = _build({section: {key: value}}, problems)
    return problems or check_config(config)
