"""Run inside a namespace: print uplink events from courier.net.uplink as JSON lines."""

import asyncio
import json
import signal
import sys

from courier.net.uplink import UplinkMonitor, UplinkUp, tcp_probe


async def main(hotspot: str, host: str, port: int) -> None:
    monitor = UplinkMonitor([hotspot], tcp_probe(host, port, timeout=2), interval=5)
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        async for event in monitor.events():
            if isinstance(event, UplinkUp):
                line = {"event": "up", "interface": event.interface, "gateway": event.gateway}
            else:
                line = {"event": "down", "reason": event.reason}
            print(json.dumps(line), flush=True)
    except asyncio.CancelledError:
        pass


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
