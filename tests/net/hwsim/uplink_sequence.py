"""Guest: the daemon's Wi-Fi sequence through courier-net's verbs on a real radio.

courier-net (NetSetup with ClientMode on wlan1) serves its control socket; the daemon's side
(courier.app.wifi_sync with HelperUplink, the Internet check) joins "the office network", checks
the Internet-gateway stand-in behind it, hands it the cargo, and leaves. Run with the right
passphrase, then a wrong one: the words are what the panel shows.
"""

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

from courier.app.wifi_check import internet_check
from courier.app.wifi_sync import WifiSyncParts, wifi_sync
from courier.app.wifi_wiring import HelperUplink
from courier.config import UplinkWifi
from courier.net.client_mode import ClientMode
from courier.net.credentials import WifiCredentials
from courier.net.netsetup import NetSetup
from courier.net.plan import make_plan
from courier.net.render import RadioSettings

GATEWAY = ("10.97.0.1", 4443)  # the Internet-gateway stand-in, on the office's side
RUN = Path("/run/uplink-net")


def _deliver(cargo: bytes) -> bool:
    """Hand the stand-in one cargo and wait for its acknowledgement (blocking)."""
    with socket.create_connection(GATEWAY, timeout=10) as connection:
        connection.sendall(cargo + b"\n")
        return connection.makefile("rb").readline() == b"ack\n"


async def _attempt(passphrase: str) -> dict[str, object]:
    networks = [UplinkWifi("Elsewhere", passphrase="not-in-range-1"),
                UplinkWifi("Office", passphrase=passphrase)]
    client = ClientMode("wlan1", networks, "DE", RUN)
    setup = NetSetup(make_plan("wlan1", "10.98.0.0/24"), WifiCredentials("Courier-T", "p" * 12),
                     RadioSettings("DE", 6, 10, wpa3=False), RUN, client=client)
    RUN.mkdir(parents=True, exist_ok=True)
    server = await setup.serve_control(RUN / "control.sock")
    said: list[str] = []

    async def check() -> tuple[bool, bool]:
        overrides = {"gateway.office": f"{GATEWAY[0]}:{GATEWAY[1]}"}
        return await internet_check({"gateway.office"}, overrides, "", timeout=5)

    async def sync() -> bool:
        return await asyncio.to_thread(_deliver, b"cargo-for-gateway.office")
    try:
        parts = WifiSyncParts(HelperUplink(RUN / "control.sock"), check, sync, said.append)
        finished = await wifi_sync(tuple(n.name for n in networks), False, parts)
    finally:
        server.close()
        await server.wait_closed()
        await client.leave()
    shown = subprocess.run(["ip", "-4", "addr", "show", "dev", "wlan1"], capture_output=True,
                           text=True, check=False).stdout
    received = Path("/tmp/gateway-received")  # the stand-in's record (tmpfs shared with it)
    return {"ok": finished.ok, "failure": finished.failure and finished.failure.name,
            "said": said, "left": "inet " not in shown, "client": client.status()["client"],
            "received": received.read_text().split() if received.exists() else []}


for attempt, key in (("right", sys.argv[1]), ("wrong", "not-the-passphrase")):
    outcome = asyncio.run(_attempt(key))
    print("HWSIM-RESULT " + json.dumps({"phase": f"uplink-sequence-{attempt}", **outcome}),
          flush=True)
