"""An Android-shaped reply end to end: the phone's authorization starts at its sync, the reply is
back-dated 3 h (PROTOCOL.md section 4), and it still reaches the phone."""

import asyncio
import hashlib
import json
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest

from courier.app.internet_sync import SyncOptions, run_sync
from courier.store import FileStore
from tests.cogrpc.android import android_collect
from tests.cogrpc.conftest import World, node, start_courier
from tests.conftest import JS_DIR
from tests.internet.conftest import DOUBLE, Double, make_tls

pytestmark = pytest.mark.interop


@pytest.fixture
def android_world(tmp_path: Path) -> World:
    """One phone whose delivery authorization starts now, as the Android gateway issues it."""
    folder = tmp_path / "world"
    folder.mkdir()
    world = node("make-world", str(folder), json.dumps(
        {"gateways": 1, "outbound": [2048], "inbound": [1500], "authorizationStartsNow": True}))
    world["dir"] = str(folder)
    return world


@pytest.fixture
def backdating_double(tmp_path: Path, android_world: World) -> Iterator[Double]:
    """The Internet-gateway double, back-dating its replies by 3 h as the real one does."""
    ca, key, cert = make_tls(tmp_path)
    config = tmp_path / "double.json"
    config.write_text(json.dumps({"world": android_world["dir"], "key": str(key),
                                  "cert": str(cert), "mode": "normal",
                                  "record": str(tmp_path / "double.jsonl"),
                                  "replyBackdateMinutes": 180}))
    process = subprocess.Popen(["node", str(DOUBLE), str(config)], cwd=JS_DIR,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    double = Double(process, int(line.split()[1]) if line.startswith("listening ") else 0,
                    tmp_path / "double.jsonl", ca)
    try:
        assert double.port, f"the double did not start: {line!r}"
        yield double
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


@pytest.mark.timeout(180)
def test_a_reply_back_dated_before_its_authorization_reaches_the_phone(
    tmp_path: Path, android_world: World, backdating_double: Double,
) -> None:
    folder = Path(str(android_world["dir"]))
    cca = (folder / android_world["gateways"][0]["cca"]).read_bytes()
    data = tmp_path / "data"
    # In the community: the phone syncs (nothing for it yet; its CCA is kept).
    courier = start_courier(data, tmp_path / "courier-1.log")
    try:
        cert = (data / "keys" / "tls.crt").read_bytes()
        assert android_collect(courier.host, cert, cca).code is grpc.StatusCode.OK
    finally:
        assert courier.stop() == 0
    # On the Internet, minutes later (here: seconds, which is harder: the reply is created
    # 3 h before the authorization started, beyond any 2 h drift allowance).
    store = FileStore.open(data)
    try:
        options = SyncOptions(overrides={"gateway.example": f"127.0.0.1:{backdating_double.port}"},
                              ca_pem=backdating_double.ca.read_bytes(), reply_wait=0)
        report = asyncio.run(run_sync(store, data / "state", options, lambda: datetime.now(UTC)))
    finally:
        store.close()
    replies = [sha for e in backdating_double.events() if e["call"] == "collect"
               for sha in e["replies"]]
    assert len(replies) == 1, report
    # Back in the community: the phone collects the reply.
    courier = start_courier(data, tmp_path / "courier-2.log")
    try:
        phone = android_collect(courier.host, cert, cca)
        assert phone.code is grpc.StatusCode.OK
        assert [hashlib.sha256(c).hexdigest() for c in phone.cargo] == replies
    finally:
        assert courier.stop() == 0
