"""The count of cargo too big for Android phones, kept where `courier status` can read it.

The CollectCargo server counts, per private gateway, the waiting cargo over the Android
gateway's 4 MiB message limit (courier.sync.collection); the daemon writes the totals, and
nothing that identifies a gateway, to state/too-big.json whenever they change.
"""

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path

from courier.atomic import write_atomically
from courier.cogrpc.counters import ServerCounters

FILE = Path("state") / "too-big.json"
CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class TooBig:
    """Waiting cargo no Android phone can receive, and how many gateways they are for."""

    cargo: int = 0
    gateways: int = 0


def read_too_big(data_dir: Path) -> TooBig:
    """Return the last published counts (zero when none were)."""
    try:
        data = json.loads((data_dir / FILE).read_text())
        return TooBig(int(data["cargo"]), int(data["gateways"]))
    except (OSError, ValueError, KeyError, TypeError):
        return TooBig()


async def publish_too_big(counters: ServerCounters, data_dir: Path) -> None:
    """Write the counts each time they change, until cancelled."""
    last = read_too_big(data_dir)
    while True:
        snapshot = counters.snapshot()
        now = TooBig(snapshot.too_big_cargo, snapshot.too_big_gateways)
        if now != last:
            (data_dir / FILE).parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"cargo": now.cargo, "gateways": now.gateways}).encode()
            await asyncio.to_thread(write_atomically, data_dir / FILE, text)
            last = now
        await asyncio.sleep(CHECK_SECONDS)
