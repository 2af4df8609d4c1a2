"""CollectCargo to a JVM-shaped client (the Android gateway) through a paced link, 5 s per call.

Figure: cargo bytes a phone receives per 5 s call at 1, 5 and 20 MB/s; baseline, measured in
the same run through the same paced proxy: what a bare TCP stream moves in 5 s.
"""

import os
import socket
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_cogrpc import REPO, _init, _serve
from bench.common import Figure, free_port, stop_process
from courier.protocol import MessageType, Recipient, parse_message
from courier.store import Direction, FileStore, ObjectMeta
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message
from tests.cogrpc.android import DEADLINE, PacedProxy, android_collect

CARGO_PAYLOAD = 1024 * 1024 - 8192  # about 1 MiB each, as parcels batched by a gateway


class _Phone:
    """A private gateway's CCA and cargo for it."""

    def __init__(self) -> None:
        self.key = generate_rsa_key()
        self.certificate = issue_certificate(self.key, is_ca=True)
        self.sender_key = generate_rsa_key()
        self.sender = issue_certificate(self.sender_key, is_ca=True)
        self.cca = serialize_message(
            MessageType.CCA, Recipient("0" + "cd" * 32, "gw.example"), b"request",
            sender_key=self.key, sender_certificate=self.certificate, ttl=86400,
            creation_date=datetime.now(UTC) - timedelta(minutes=5))

    def stock(self, data: Path, count: int) -> None:
        payload = os.urandom(CARGO_PAYLOAD)
        store = FileStore.open(data, per_sender_fraction=1.0)
        try:
            for _ in range(count):
                raw = serialize_message(MessageType.CARGO, Recipient(self.certificate.node_id),
                                        payload, sender_key=self.sender_key,
                                        sender_certificate=self.sender, ttl=86400)
                store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
        finally:
            store.close()


def _bare_link(rate: float) -> float:
    """Return the bytes a bare TCP stream moves through the paced proxy in DEADLINE seconds."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        stop = threading.Event()

        def source() -> None:
            connection, _ = server.accept()
            with connection:
                chunk = bytes(65536)
                try:
                    while not stop.is_set():
                        connection.sendall(chunk)
                except OSError:
                    pass
        feeder = threading.Thread(target=source)
        feeder.start()
        moved = 0
        with PacedProxy(("127.0.0.1", port), rate) as proxy, \
                socket.create_connection(("127.0.0.1", proxy.port)) as client:
            client.settimeout(1)
            end = time.monotonic() + DEADLINE
            while time.monotonic() < end:
                moved += len(client.recv(65536))
            stop.set()
        feeder.join()
        return moved


def _per_call(data: Path, port: int, phone: _Phone, rate: float, calls: int) -> float:
    """Return the median cargo bytes one 5 s call delivers through a link of `rate`."""
    phone.stock(data, int(rate * DEADLINE * calls * 1.5 / CARGO_PAYLOAD) + 2)
    cert = (data / "keys" / "tls.crt").read_bytes()
    got = []
    with PacedProxy(("127.0.0.1", port), rate) as proxy:
        for _ in range(calls):
            result = android_collect(f"127.0.0.1:{proxy.port}", cert, phone.cca)
            if result.code.name != "OK":
                raise RuntimeError(f"a call at {rate / 1e6} MB/s ended {result.code.name}")
            got.append(sum(len(c) for c in result.cargo))
    return statistics.median(got)


def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    figures = []
    calls = 1 if quick else 3
    with tempfile.TemporaryDirectory(dir=REPO) as folder:
        data = Path(folder) / "data"
        _init(data)
        phone = _Phone()
        port = free_port()
        courier = _serve(data, port, Path(folder) / "courier.log")
        try:
            for rate in (1e6, 5e6, 20e6):
                delivered = _per_call(data, port, phone, rate, calls)
                figures.append(Figure(
                    f"JVM-shaped CollectCargo, {rate / 1e6:.0f} MB/s link, per 5 s call",
                    delivered / 1e6, "MB", _bare_link(rate) / 1e6,
                    "every call OK (baseline: bare TCP through the link in 5 s)"))
        finally:
            stop_process(courier)
    return figures
