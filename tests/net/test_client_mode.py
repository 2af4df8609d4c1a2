"""The helper's Wi-Fi uplink verbs over its real control socket (the radio's client faked)."""

import asyncio
from pathlib import Path

import pytest

from courier.errors import NetworkError
from courier.net.client_verbs import uplink_verb
from courier.net.credentials import WifiCredentials
from courier.net.netsetup import NetSetup, request
from courier.net.plan import make_plan
from courier.net.render import RadioSettings


class FakeClient:
    """Stands for ClientMode on a radio this machine does not have."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def scan(self) -> dict[str, int]:
        self.calls.append("scan")
        return {"Café \"Lagos\"": -50}

    async def join(self, name: str) -> bool | None:
        self.calls.append(f"join {name}")
        return name == "Café \"Lagos\""

    async def address(self) -> bool:
        self.calls.append("address")
        return True

    async def leave(self) -> None:
        self.calls.append("leave")

    def status(self) -> dict[str, object]:
        return {"client": bool(self.calls) and self.calls[-1] != "leave"}


def test_the_verbs_go_through_the_socket_with_any_network_name(tmp_path: Path) -> None:
    client = FakeClient()
    setup = NetSetup(make_plan("veth-none", "10.97.0.0/24"), WifiCredentials("C", "p" * 12),
                     RadioSettings("", 6, 10, wpa3=False), tmp_path, client=client)
    name = "Café \"Lagos\"".encode().hex()

    async def scenario() -> list[dict[str, object]]:
        socket = tmp_path / "control.sock"
        server = await setup.serve_control(socket)
        try:
            return [await request(socket, verb) for verb in (
                "uplink-scan", f"uplink-join {name}", "uplink-address", "uplink-leave")]
        finally:
            server.close()
            await server.wait_closed()

    replies = asyncio.run(scenario())
    assert replies == [{"networks": {"Café \"Lagos\"": -50}}, {"joined": True},
                       {"addressed": True}, {"client": False}]
    assert client.calls == ["scan", "join Café \"Lagos\"", "address", "leave"]


def test_the_client_never_starts_while_the_hotspot_is_open() -> None:
    client = FakeClient()
    for verb in ("uplink-scan", "uplink-join 4f", "uplink-address"):
        with pytest.raises(NetworkError, match="hotspot is open"):
            asyncio.run(uplink_verb(client, True, verb, "4f"))
    assert client.calls == []
    assert asyncio.run(uplink_verb(client, True, "uplink-leave", "")) == {"client": False}


def test_without_networks_or_with_a_bad_name_the_helper_refuses() -> None:
    with pytest.raises(NetworkError, match="no Wi-Fi uplink"):
        asyncio.run(uplink_verb(None, False, "uplink-scan", ""))
    with pytest.raises(NetworkError, match="in hex"):
        asyncio.run(uplink_verb(FakeClient(), False, "uplink-join", "zz"))


def test_the_daemon_side_runs_a_whole_wifi_sync_through_the_helper(tmp_path: Path) -> None:
    from courier.app.wifi_sync import WifiSyncParts, wifi_sync  # noqa: PLC0415
    from courier.app.wifi_wiring import HelperUplink  # noqa: PLC0415
    from courier.sync.wifi_uplink import Finished  # noqa: PLC0415

    client = FakeClient()
    setup = NetSetup(make_plan("veth-none", "10.97.0.0/24"), WifiCredentials("C", "p" * 12),
                     RadioSettings("", 6, 10, wpa3=False), tmp_path, client=client)
    said: list[str] = []

    async def check() -> tuple[bool, bool]:
        return True, True

    async def sync() -> bool:
        client.calls.append("sync")
        return True

    async def scenario() -> Finished:
        socket = tmp_path / "control.sock"
        server = await setup.serve_control(socket)
        try:
            parts = WifiSyncParts(HelperUplink(socket), check, sync, said.append)
            return await wifi_sync(("Office", "Café \"Lagos\""), False, parts)
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(scenario()) == Finished(True, None)
    assert client.calls == ["scan", "join Café \"Lagos\"", "address", "sync", "leave"]
