"""Configuration files for hostapd, dnsmasq and nftables, rendered from the courier's settings."""

from collections.abc import Sequence
from dataclasses import dataclass

from courier.errors import NetworkError
from courier.net.credentials import WifiCredentials
from courier.net.plan import COGRPC_PORT, HotspotPlan
from courier.net.radio import WORLD_CHANNELS

COURIER_HOSTNAME = "courier.lan"
NFT_TABLE = "courier"
# Per source address on the CogRPC port (docs/cogrpc-server.md, "Limits against abuse"): a
# gateway's sync opens 2 connections (the JS client's certificate fetch, then the calls) and its
# probes one every 2-5 s; one client cannot fill the daemon's descriptors or its accept queue.
COGRPC_CONNECTIONS_PER_SOURCE = 16
COGRPC_NEW_PER_SECOND = 10
COGRPC_NEW_BURST = 20


@dataclass(frozen=True)
class RadioSettings:
    """What the Wi-Fi access point needs beyond the credentials."""

    country: str  # "" = not set: world regulatory domain, channels 1, 6 and 11 only
    channel: int
    max_clients: int
    wpa3: bool


def _safe(value: str, what: str) -> str:
    """Refuse values that could inject lines or escape the option they are written into."""
    if not value or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise NetworkError(f"{what} must be non-empty printable text")
    return value


def render_hostapd(plan: HotspotPlan, credentials: WifiCredentials, radio: RadioSettings,
                   control_dir: str, control_group: str | None = None) -> str:
    """Return hostapd.conf: WPA2-PSK (or WPA2/WPA3 transition), client isolation, capped clients.

    `control_group` may use hostapd's control socket: the daemon's group, so that it counts the
    phones associated (courier.net.presence) without any privilege.
    """
    five_ghz = radio.channel >= 36
    if not (1 <= radio.channel <= 14 or 36 <= radio.channel <= 177):
        raise NetworkError(f"Wi-Fi channel {radio.channel} does not exist")
    if not radio.country and radio.channel not in WORLD_CHANNELS:
        raise NetworkError(f"channel {radio.channel} needs a Wi-Fi country")
    # Without a country, no country_code: the radio stays in the world domain ("00").
    regulatory = [f"country_code={_safe(radio.country.upper(), 'country')}",
                  "ieee80211d=1"] if radio.country else []
    lines = [
        "# Rendered by the courier; edit /etc/courier/courier.toml instead.",
        f"interface={_safe(plan.interface, 'interface')}",
        "driver=nl80211",
        f"ctrl_interface={_safe(control_dir, 'control directory')}",
        *([f"ctrl_interface_group={_safe(control_group, 'control group')}"]
          if control_group else []),
        f"ssid={_safe(credentials.ssid, 'SSID')}",
        "utf8_ssid=1",
        *regulatory,
        f"hw_mode={'a' if five_ghz else 'g'}",
        f"channel={radio.channel}",
        "ieee80211n=1",
        *(["ieee80211ac=1"] if five_ghz else []),
        "wmm_enabled=1",
        f"max_num_sta={radio.max_clients}",
        "ap_isolate=1",            # phones must not reach each other: only the courier
        "ignore_broadcast_ssid=0",
        "auth_algs=1",
        "wpa=2",
        "rsn_pairwise=CCMP",
        f"wpa_passphrase={_safe(credentials.passphrase, 'passphrase')}",
    ]
    if radio.wpa3:
        # Transition mode: WPA3-SAE for phones that have it, WPA2-PSK for the rest.
        lines += ["wpa_key_mgmt=WPA-PSK SAE", "ieee80211w=1", "sae_require_mfp=1"]
    else:
        lines += ["wpa_key_mgmt=WPA-PSK"]
    return "\n".join(lines) + "\n"


def render_dnsmasq(plan: HotspotPlan, run_dir: str) -> str:
    """Return dnsmasq.conf: DHCP server and router = courier; DNS knows only the courier's name."""
    netmask = plan.network.netmask
    return "\n".join([
        "# Rendered by the courier; edit /etc/courier/courier.toml instead.",
        f"interface={_safe(plan.interface, 'interface')}",
        "bind-interfaces",
        f"listen-address={plan.address}",
        "except-interface=lo",
        # DNS: no upstream at all, answer our own name, NXDOMAIN for everything else at once so
        # phones' Internet checks fail fast instead of timing out.
        "no-resolv",
        "no-hosts",
        "no-poll",
        "domain-needed",
        "bogus-priv",
        "local=/#/",
        f"host-record={COURIER_HOSTNAME},{plan.address}",
        # DHCP: the Android gateway dials the DHCP server address, the desktop gateway the
        # default gateway (PROTOCOL.md section 7): both must be the courier.
        "dhcp-authoritative",
        "dhcp-rapid-commit",
        f"dhcp-range={plan.dhcp_first},{plan.dhcp_last},{netmask},{plan.lease_seconds}",
        f"dhcp-option=option:router,{plan.address}",
        f"dhcp-option=option:dns-server,{plan.address}",
        f"dhcp-leasefile={_safe(run_dir, 'run directory')}/dnsmasq.leases",
        f"pid-file={run_dir}/dnsmasq.pid",
        "",
    ])


def render_nftables(hotspot_interfaces: Sequence[str], lan_interfaces: Sequence[str]) -> str:
    """Return an nft script that replaces the courier table atomically.

    Hotspot: only DHCP, DNS, mDNS and CogRPC reach the device. LAN: only mDNS and CogRPC.
    Nothing is forwarded to or from either. Everything else is rejected, not dropped.
    """
    hotspot = _nft_set(hotspot_interfaces)
    lan = _nft_set(lan_interfaces)
    served = _nft_set([*hotspot_interfaces, *lan_interfaces])
    lines = [
        f"table inet {NFT_TABLE}",
        f"delete table inet {NFT_TABLE}",
        f"table inet {NFT_TABLE} {{",
        *_cogrpc_sets(),
        "  chain input {",
        "    type filter hook input priority filter; policy accept;",
        *([f"    iifname {hotspot} jump hotspot_in"] if hotspot_interfaces else []),
        *([f"    iifname {lan} jump lan_in"] if lan_interfaces else []),
        "  }",
        "  chain hotspot_in {",
        "    udp dport 67 accept",
        "    udp dport 53 accept",
        "    tcp dport 53 accept",
        "    jump lan_in",
        "  }",
        "  chain lan_in {",
        "    ct state established,related accept",
        "    ct state invalid drop",
        # IPv6 neighbour discovery keeps link-local mDNS working.
        "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } accept",
        "    udp dport 5353 accept",
        *_cogrpc_limits(),
        f"    tcp dport {COGRPC_PORT} accept",
        "    meta l4proto tcp reject with tcp reset",
        "    reject with icmpx type admin-prohibited",
        "  }",
        "  chain forward {",
        "    type filter hook forward priority filter; policy accept;",
        *([f"    iifname {served} reject with icmpx type admin-prohibited",
           f"    oifname {served} reject with icmpx type admin-prohibited"]
          if hotspot_interfaces or lan_interfaces else []),
        "  }",
        "}",
        "",
    ]
    return "\n".join(lines)


def _cogrpc_sets() -> list[str]:
    """Return the dynamic sets of CogRPC clients: connections counted, new ones rate-limited."""
    return [f"  set cogrpc_{kind}_{family} {{ type {family}_addr; flags {flags}; size 4096; }}"
            for kind, flags in (("clients", "dynamic"), ("rate", "dynamic,timeout; timeout 1m"))
            for family in ("ipv4", "ipv6")]


def _cogrpc_limits() -> list[str]:
    """Return the rules refusing (TCP reset) a source over its connection count or rate."""
    new = f"tcp dport {COGRPC_PORT} ct state new"
    rate = f"limit rate over {COGRPC_NEW_PER_SECOND}/second burst {COGRPC_NEW_BURST} packets"
    return [
        *(f"    {new} add @cogrpc_clients_{family} {{ {match} saddr ct count over "
          f"{COGRPC_CONNECTIONS_PER_SOURCE} }} reject with tcp reset"
          for family, match in (("ipv4", "ip"), ("ipv6", "ip6"))),
        *(f"    {new} update @cogrpc_rate_{family} {{ {match} saddr {rate} }} "
          "reject with tcp reset" for family, match in (("ipv4", "ip"), ("ipv6", "ip6"))),
    ]


def _nft_set(names: Sequence[str]) -> str:
    for name in names:
        if not name or len(name) > 15 or not all(c.isalnum() or c in "-_.@" for c in name):
            raise NetworkError(f"{name!r} is not an interface name")
    return "{ " + ", ".join(f'"{name}"' for name in names) + " }"
