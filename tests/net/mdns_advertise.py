"""Run inside a namespace: advertise CogRPC; SIGUSR1 updates the state, SIGTERM stops."""

import asyncio
import signal
import sys
import time

from courier.net.mdns import CogrpcAdvertiser


async def main(name: str, address: str) -> None:
    advertiser = CogrpcAdvertiser(name, [address])
    await advertiser.start("ready")
    print(f"advertising {time.time()}", flush=True)
    loop = asyncio.get_running_loop()
    stop, update = asyncio.Event(), asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, update.set)
    while not stop.is_set():
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(update.wait())]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        if update.is_set():
            update.clear()
            await advertiser.update("session")
            print("updated", flush=True)
    await advertiser.stop()
    print("stopped", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
