"""Entry point of courier-update.service: the update helper's loop and its control socket."""

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from importlib.metadata import version as dist_version
from pathlib import Path

from courier.app.control import serve
from courier.update.helper import UpdateHelper
from courier.update.install import system_compatible
from courier.update.offer import SOCKET_NAME

LOG = logging.getLogger(__name__)
SCAN_SECONDS = 2.0


async def run(helper: UpdateHelper, scan_seconds: float = SCAN_SECONDS,
              stop: asyncio.Event | None = None) -> None:
    """Serve the control socket (group-connectable: the daemon's group) and scan for sticks."""
    helper.run_dir.mkdir(mode=0o750, parents=True, exist_ok=True)
    helper.publish()  # the first status: no offer yet
    server = await serve(helper.run_dir / SOCKET_NAME, helper.handle, umask=0o117)
    stop = stop or asyncio.Event()
    LOG.info("update helper ready (running %s)", helper.running)
    try:
        while not stop.is_set():
            try:
                await helper.scan()
            except OSError as error:
                LOG.warning("update: looking for USB sticks failed: %s", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), scan_seconds)
    finally:
        server.close()
        await server.wait_closed()
        await helper.close()


def main(argv: list[str] | None = None) -> int:
    """courier-update-helper --run-dir DIR [--download FILE]."""
    parser = argparse.ArgumentParser(prog="courier-update-helper", description=main.__doc__)
    parser.add_argument("--run-dir", type=Path, default=Path("/run/courier-update"))
    parser.add_argument("--download", type=Path, default=None,
                        help="where the daemon leaves a downloaded bundle (checked on request)")
    parser.add_argument("--keyring", default="", help="CA to check bundles with (tests)")
    ns = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    rauc_args = (f"--keyring={ns.keyring}",) if ns.keyring else ()
    helper = UpdateHelper(ns.run_dir, dist_version("relaynet-courier"), download=ns.download,
                          rauc_args=rauc_args, compatible=system_compatible())
    asyncio.run(_until_signalled(helper))
    return 0


async def _until_signalled(helper: UpdateHelper) -> None:
    """Run the helper until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await run(helper, stop=stop)


if __name__ == "__main__":
    sys.exit(main())
