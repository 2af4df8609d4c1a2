"""The Internet check once a Wi-Fi network gave an address: DNS, then a gateway's port.

DNS answering while no gateway does is what a captive portal looks like (courier.sync.wifi_uplink
tells the courier so). No vendor host is asked (PROTOCOL.md section 10): the gateways the courier
holds cargo or CCAs for are checked, or the configured [internet] probe.
"""

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Iterable, Mapping

import dns.exception
import dns.resolver

from courier.net.srv import SERVICE
from courier.net.uplink import tcp_probe

LOG = logging.getLogger(__name__)
MAX_CHECKED = 3  # a few gateways are enough; each may take `timeout`


async def internet_check(addresses: Iterable[str], overrides: Mapping[str, str], probe: str,
                         nameserver: tuple[str, int] | None = None,
                         timeout: float = 5.0) -> tuple[bool, bool]:
    """Return (DNS answered, a gateway or the probe accepted a TCP connection)."""
    if probe:
        host, _, number = probe.rpartition(":")
        host = host.strip("[]")
        reached = await _connects(host, int(number), timeout)
        return reached or await _names(host, timeout), reached
    held = sorted(addresses)[:MAX_CHECKED]
    if not held:
        LOG.info("Wi-Fi check: no gateway holds cargo or CCAs here, nothing to reach")
        return True, True
    answered = False
    for address in held:
        if address in overrides:
            host, _, number = overrides[address].rpartition(":")
            host = host.strip("[]")
            answered = answered or await _names(host, timeout)
            if await _connects(host, int(number), timeout):
                return True, True
            continue
        said, targets = await asyncio.to_thread(_srv, address, nameserver, timeout)
        answered = answered or said
        for target, port in targets[:2]:
            if await _connects(target, port, timeout):
                return True, True
    return answered, False


def _srv(address: str, nameserver: tuple[str, int] | None,
         timeout: float) -> tuple[bool, list[tuple[str, int]]]:
    """Look up the gateway's SRV record: (DNS answered at all, the targets it gave)."""
    resolver = dns.resolver.Resolver(configure=nameserver is None)  # resolv.conf read afresh
    if nameserver is not None:
        resolver.nameservers, resolver.port = [nameserver[0]], nameserver[1]
    resolver.lifetime = timeout
    try:
        answer = resolver.resolve(f"{SERVICE}.{address}", "SRV")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.YXDOMAIN):
        return True, []  # an answer, just not a useful one
    except dns.exception.DNSException as error:
        LOG.info("Wi-Fi check: DNS did not answer: %s", type(error).__name__)
        return False, []
    return True, [(r.target.to_text(omit_final_dot=True), int(r.port)) for r in answer]


async def _names(host: str, timeout: float) -> bool:
    """Tell whether DNS answered for `host` (an address literal asks nobody: False)."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(host)
        return False
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout)
    except (OSError, TimeoutError):
        return False
    return True


async def _connects(host: str, port: int, timeout: float) -> bool:
    """Tell whether a TCP connection to host:port opens (the uplink monitor's probe)."""
    return await tcp_probe(host, port, timeout)()
