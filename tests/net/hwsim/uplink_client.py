"""Guest: the courier's ClientMode joins the office network, gets a lease, leaves."""

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

from courier.config import UplinkWifi
from courier.net.client_mode import ClientMode


def _reach(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=5):
            return True
    except OSError:
        return False


async def _attempt(passphrase: str) -> dict[str, object]:
    networks = [UplinkWifi("Elsewhere", passphrase="not-in-range-1"),
                UplinkWifi("Office", passphrase=passphrase)]
    client = ClientMode("wlan1", networks, "DE", Path("/run/uplink"))
    started = time.monotonic()
    result: dict[str, object] = {}
    try:
        result["scan"] = await client.scan()
        joining = time.monotonic()
        result["joined"] = await client.join("Office")
        result["join_seconds"] = round(time.monotonic() - joining, 1)
        if result["joined"]:
            result["addressed"] = await client.address()
            result["reached"] = _reach("10.97.0.1", 21473)
    finally:
        await client.leave()
    shown = subprocess.run(["ip", "-4", "addr", "show", "dev", "wlan1"], capture_output=True,
                           text=True, check=False).stdout
    result["left"] = "inet " not in shown
    result["seconds"] = round(time.monotonic() - started, 1)
    result["log_has_passphrase"] = passphrase in Path("/run/uplink/wpa-uplink.log").read_text(
        errors="replace") + Path("/run/uplink/wpa-uplink.conf").read_text()
    return result


for attempt, key in (("client-right", sys.argv[1]), ("client-wrong", "not-the-passphrase")):
    outcome = asyncio.run(_attempt(key))
    print("HWSIM-RESULT " + json.dumps({"phase": f"uplink-{attempt}", **outcome}), flush=True)
