"""`courier sync-internet` while the daemon runs: it asks the store's one owner over its socket."""

import asyncio
import json
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from courier.app.control import socket_path
from tests.cogrpc.conftest import World, start_courier
from tests.internet.conftest import Double, stock, sync

pytestmark = pytest.mark.interop
ADDRESS = "gateway.example"


def _ask_raw(path: Path, line: bytes) -> list[dict[str, object]]:
    with socket.socket(socket.AF_UNIX) as client:
        client.settimeout(30)
        client.connect(str(path))
        client.sendall(line)
        data = b""
        while chunk := client.recv(65536):
            data += chunk
    return [json.loads(part) for part in data.splitlines()]


def test_sync_internet_asks_the_running_daemon(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    files = stock(data, world, [0])
    double = start_double("normal")
    courier = start_courier(data, tmp_path / "courier.log")
    try:
        control = socket_path(data)
        assert stat.S_IMODE(control.stat().st_mode) == 0o600
        # Hostile or broken requests get an error, and the daemon goes on.
        assert "error" in _ask_raw(control, b"{not json\n")[-1]
        assert "error" in _ask_raw(control, b'["a list"]\n')[-1]
        assert "unknown command" in str(_ask_raw(control, b'{"command": "rm"}\n')[-1])
        result = sync(data, "--gateway", f"{ADDRESS}=127.0.0.1:{double.port}",
                      "--ca-file", str(double.ca))
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{ADDRESS}: delivering" in result.stdout  # progress streamed from the daemon
        assert f"{ADDRESS}: delivered {len(files['cargo'])}," in result.stdout
        assert "Internet sync asked for on the control socket" in courier.log.read_text()
        inbound = len(world["gateways"][0]["inbound"])
        counts = courier.status()
        assert (counts["cargo_to_internet"], counts["cargo_to_private"]) == (0, inbound)
    finally:
        assert courier.stop() == 0, courier.log.read_text()[-3000:]
    assert not asyncio.run(_connectable(socket_path(data)))


async def _connectable(path: Path) -> bool:
    try:
        _, writer = await asyncio.open_unix_connection(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        return False
    writer.close()
    return True
