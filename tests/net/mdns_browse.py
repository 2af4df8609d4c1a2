"""Run inside a namespace: browse `_awala-crc._tcp.local.` and print each change as a JSON line."""

import asyncio
import json
import signal
import socket
import sys
import time

from zeroconf import ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from courier.net.mdns import SERVICE_TYPE

START = time.monotonic()


async def report(zc: Zeroconf, name: str, change: ServiceStateChange) -> None:
    event: dict[str, object] = {"event": change.name.lower(), "name": name,
                                "seconds": round(time.monotonic() - START, 3),
                                "at": time.time()}
    if change is not ServiceStateChange.Removed:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if await info.async_request(zc, 3000):
            event["addresses"] = [socket.inet_ntoa(a) for a in info.addresses]
            event["port"] = info.port
            event["txt"] = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
    print(json.dumps(event), flush=True)


async def main(address: str) -> None:
    azc = AsyncZeroconf(interfaces=[address])
    tasks: set[asyncio.Task[None]] = set()

    def handler(zeroconf: Zeroconf, service_type: str, name: str,
                state_change: ServiceStateChange) -> None:
        task = asyncio.ensure_future(report(zeroconf, name, state_change))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    browser = AsyncServiceBrowser(azc.zeroconf, [SERVICE_TYPE], handlers=[handler])
    print(json.dumps({"event": "browsing"}), flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await browser.async_cancel()
    await azc.async_close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
