"""Uplink detection that depends on no vendor host: a held gateway's SRV record, or an override."""

import asyncio
import socket

import pytest

from courier.config import InternetConfig
from courier.net.uplink import srv_probe
from tests.cogrpc.conftest import free_port


def _probe_result(addresses: list[str], overrides: dict[str, str],
                  nameserver: tuple[str, int] | None) -> bool:
    async def held() -> list[str]:
        return addresses

    async def main() -> bool:
        return await srv_probe(held, overrides, nameserver, timeout=2.0)()
    return asyncio.run(main())


def test_the_default_probe_is_no_vendor_host() -> None:
    assert InternetConfig().probe == ""


@pytest.mark.timeout(60)
def test_up_when_a_held_gateway_resolves_down_when_none_does(dns_server: int) -> None:
    dns = ("127.0.0.1", dns_server)
    assert _probe_result(["missing.example", "gw.example"], {}, dns)
    assert not _probe_result(["missing.example"], {}, dns)
    assert not _probe_result(["gw.example"], {}, ("127.0.0.1", free_port()))  # no DNS answer


@pytest.mark.timeout(60)
def test_nothing_held_means_not_up_and_overrides_are_dialled() -> None:
    assert not _probe_result([], {}, ("127.0.0.1", free_port()))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert _probe_result(["gw.example"], {"gw.example": f"127.0.0.1:{port}"}, None)
    assert not _probe_result(["gw.example"], {"gw.example": f"127.0.0.1:{free_port()}"}, None)
