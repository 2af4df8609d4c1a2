"""The Internet check behind a Wi-Fi network: DNS answering apart from a gateway answering."""

import asyncio
import socket
from collections.abc import Iterator

import dns.exception
import dns.resolver
import pytest

from courier.app.wifi_check import internet_check
from tests.cogrpc.conftest import free_port
from tests.internet.conftest import dns_server, wait_until  # noqa: F401 - a fixture

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def listening() -> Iterator[int]:
    """A loopback TCP port that accepts connections (an Internet gateway's port)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    yield server.getsockname()[1]
    server.close()


def test_a_gateway_that_answers_is_the_internet(listening: int) -> None:
    overrides = {"gw.example": f"127.0.0.1:{listening}"}
    assert asyncio.run(internet_check({"gw.example"}, overrides, "")) == (True, True)
    assert asyncio.run(internet_check(set(), {}, f"127.0.0.1:{listening}")) == (True, True)


def test_a_closed_gateway_port_is_not(listening: int) -> None:
    closed = free_port()
    # An address literal asks no DNS: nothing answered at all, no Internet (not a portal).
    assert asyncio.run(internet_check({"gw.example"}, {"gw.example": f"127.0.0.1:{closed}"},
                                      "", timeout=2)) == (False, False)
    assert asyncio.run(internet_check(set(), {}, f"127.0.0.1:{closed}", timeout=2)) == (
        False, False)
    # A name that resolves (DNS, or here the hosts file) while its port is closed: a portal.
    assert asyncio.run(internet_check(set(), {}, f"localhost:{closed}", timeout=2)) == (
        True, False)


def _answering(port: int) -> bool:
    """Tell whether dnsmasq on `port` answers yet (it may still be starting)."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], port, 1.0
    try:
        resolver.resolve("_awala-crc._tcp.gw.example", "SRV")
    except dns.exception.DNSException:
        return False
    return True


def test_dns_answering_while_no_gateway_does_looks_like_a_portal(dns_server: int) -> None:  # noqa: F811
    server = ("127.0.0.1", dns_server)
    wait_until(lambda: _answering(dns_server), 20)
    # gw.example's SRV names primary.example:443, which goes nowhere; unknown.example: NXDOMAIN.
    for held in ({"gw.example"}, {"unknown.example"}):
        assert asyncio.run(internet_check(held, {}, "", nameserver=server, timeout=2)) == (
            True, False)


def test_dns_not_answering_at_all_is_no_internet() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # takes queries, never answers
    silent.bind(("127.0.0.1", 0))
    try:
        server = ("127.0.0.1", silent.getsockname()[1])
        assert asyncio.run(internet_check({"gw.example"}, {}, "", nameserver=server,
                                          timeout=1)) == (False, False)
    finally:
        silent.close()


def test_with_nothing_held_there_is_nothing_to_reach() -> None:
    assert asyncio.run(internet_check(set(), {}, "")) == (True, True)
