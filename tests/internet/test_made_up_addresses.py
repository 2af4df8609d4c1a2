"""CCAs for made-up Internet gateways, left by anybody on the hotspot, delay no real gateway."""

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from courier.protocol import MessageType, Recipient, parse_message
from courier.store import Direction, FileStore, ObjectMeta
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message
from tests.cogrpc.conftest import World
from tests.conftest import REPO
from tests.internet.conftest import Double, status, stock

pytestmark = pytest.mark.interop
ADDRESS = "gateway.example"
MADE_UP = 40


def _made_up_ccas(data_dir: Path) -> None:
    """Store 40 valid-looking CCAs for made-up addresses, 4 from each of 10 throw-away keys."""
    store = FileStore.open(data_dir)
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        for key_number in range(MADE_UP // 4):
            key = generate_rsa_key()
            certificate = issue_certificate(key, not_before=now - timedelta(days=1))
            for n in range(4):
                address = f"a-made-up-{key_number}-{n}.example"  # sorts first
                raw = serialize_message(MessageType.CCA, Recipient("0" + "cd" * 32, address),
                                        b"\x02" * 64, sender_key=key,
                                        sender_certificate=certificate,
                                        creation_date=now - timedelta(minutes=90), ttl=86400)
                store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_INTERNET),
                          raw)
    finally:
        store.close()


@pytest.mark.timeout(240)
def test_40_made_up_addresses_delay_the_real_gateway_by_seconds_at_most(
    tmp_path: Path, world: World, start_double: Callable[[str], Double],
) -> None:
    data = tmp_path / "data"
    files = stock(data, world, [0])
    _made_up_ccas(data)
    assert status(data)["ccas"] == MADE_UP + 1
    double = start_double("normal")
    started = time.monotonic()
    # No DNS server answers (port 9 is closed): every made-up address costs its lookups.
    command = subprocess.Popen(
        [sys.executable, "-m", "courier", "sync-internet", "--config", "/nonexistent",
         "--data-dir", str(data), "--reply-wait", "0", "--dns", "127.0.0.1:9",
         "--gateway", f"{ADDRESS}=127.0.0.1:{double.port}", "--ca-file", str(double.ca)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        while len([e for e in double.events() if e["call"] == "deliver"]) < len(files["cargo"]):
            assert command.poll() is None or time.monotonic() - started < 5, "sync ended early"
            assert time.monotonic() - started < 15, "the real gateway waited behind made-up ones"
            time.sleep(0.1)
        delivered_after = time.monotonic() - started
        # The made-up addresses would take a minute more (4 at a time, 5 s of DNS each); the
        # real one is done: stop here, as a courier walking away would.
    finally:
        command.kill()
        command.communicate()
    print(f"real gateway's cargo delivered {delivered_after:.1f} s after the press")
