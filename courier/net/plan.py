"""The hotspot's addressing plan, derived from the configuration."""

import ipaddress
from dataclasses import dataclass

from courier.errors import NetworkError

COGRPC_PORT = 21473

# Subnets that phones' own hotspots, Wi-Fi Direct, NetworkManager sharing and common tools use:
# a courier on one of them would be shadowed by a route the phone already has.
CROWDED_SUBNETS = tuple(ipaddress.ip_network(n) for n in (
    "192.168.43.0/24",   # Android hotspot
    "192.168.49.0/24",   # Android Wi-Fi Direct
    "10.42.0.0/24",      # NetworkManager connection sharing
    "192.168.4.0/24",    # many tutorials' hostapd/dnsmasq setups
    "192.168.0.0/24", "192.168.1.0/24",  # home routers
    "172.20.10.0/28",    # iPhone hotspot
))


@dataclass(frozen=True)
class HotspotPlan:
    """Where the courier sits on the hotspot and which addresses it leases."""

    interface: str
    network: ipaddress.IPv4Network
    address: ipaddress.IPv4Address
    dhcp_first: ipaddress.IPv4Address
    dhcp_last: ipaddress.IPv4Address
    lease_seconds: int = 3600

    @property
    def prefixlen(self) -> int:
        """Return the prefix length of the hotspot network."""
        return self.network.prefixlen


def make_plan(interface: str, subnet: str, lease_seconds: int = 3600) -> HotspotPlan:
    """Return the plan: the courier takes the first host address; DHCP leases the rest."""
    try:
        network = ipaddress.ip_network(subnet)
    except ValueError as error:
        raise NetworkError(f"hotspot subnet {subnet!r} is not an IP network") from error
    if not isinstance(network, ipaddress.IPv4Network) or network.prefixlen > 29:
        raise NetworkError(f"hotspot subnet {subnet!r} must be IPv4 with at least 6 hosts")
    hosts = list(network.hosts()) if network.num_addresses <= 4096 else None
    first = next(network.hosts())
    last = hosts[-1] if hosts else network.broadcast_address - 1
    return HotspotPlan(interface=interface, network=network, address=first,
                       dhcp_first=first + 1, dhcp_last=last, lease_seconds=lease_seconds)


def is_crowded(subnet: str) -> bool:
    """Tell whether the subnet overlaps one that phones or common tools already use."""
    network = ipaddress.ip_network(subnet)
    return any(network.overlaps(crowded) for crowded in CROWDED_SUBNETS)
