"""CogRPC server: DeliverCargo rate against a bare acking servicer, first-cargo latency, RSS."""

import base64
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc

from bench.common import Figure, free_port, stop_process
from courier.cogrpc.generated import cogrpc_pb2
from courier.protocol import MAX_MESSAGE_SIZE, MessageType, Recipient, parse_message
from courier.protocol.ramf import MAX_PAYLOAD_SIZE
from courier.store import Direction, FileStore, ObjectMeta
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message
from tests.cogrpc.stub import cargo_relay

REPO = Path(__file__).resolve().parent.parent
LIMIT = 10 * 1024 * 1024
# RAMF caps the payload at 8 MiB, so the largest valid cargo is 8 MiB and a few KB of
# signature and certificates; only invalid messages reach the 9 MiB message limit.
LARGEST_PAYLOAD = MAX_PAYLOAD_SIZE
BARE = r"""
import sys, asyncio, grpc
from courier.cogrpc.generated import cogrpc_pb2, cogrpc_pb2_grpc
LIMIT = 10 * 1024 * 1024
OPTIONS = [("grpc.max_receive_message_length", LIMIT), ("grpc.max_send_message_length", LIMIT)]
class Bare(cogrpc_pb2_grpc.CargoRelayServicer):
    async def DeliverCargo(self, requests, context):
        async for delivery in requests:
            yield cogrpc_pb2.CargoDeliveryAck(id=delivery.id)
async def main():
    server = grpc.aio.server(options=OPTIONS)
    cogrpc_pb2_grpc.add_CargoRelayServicer_to_server(Bare(), server)
    key, cert = open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
    server.add_secure_port(sys.argv[1], grpc.ssl_server_credentials([(key, cert)]))
    await server.start()
    print("serving CogRPC", flush=True)
    await server.wait_for_termination()
asyncio.run(main())
"""



def _start(argv: list[str], log: Path) -> "subprocess.Popen[bytes]":
    # Eight gateways are played from one address (127.0.0.1): the per-client call cap is lifted.
    env = {**os.environ, "COURIER_SERVER__MAX_CALLS_PER_CLIENT": "32"}
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                   env=env)
    deadline = time.monotonic() + 60
    while "serving CogRPC" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text())
        time.sleep(0.05)
    return process



def _init(data: Path) -> None:
    """Make a courier data directory (keys, certificate) without starting it."""
    subprocess.run([sys.executable, "-m", "courier", "init", "--data-dir", str(data),
                    "--config", "/nonexistent"], cwd=REPO, check=True, capture_output=True)


def _serve(data: Path, port: int, log: Path) -> "subprocess.Popen[bytes]":
    """Start `courier run` on loopback with no network setup and wait until it serves."""
    return _start([sys.executable, "-m", "courier", "run", "--config", "/nonexistent",
                   "--data-dir", str(data), "--no-network", "--listen", f"127.0.0.1:{port}",
                   "--tls-address", "127.0.0.1"], log)


def _cargo(count: int, size: int) -> list[bytes]:
    key = generate_rsa_key()
    certificate = issue_certificate(key, is_ca=True)
    recipient = Recipient("0" + "ab" * 32, "gateway.example")
    payload = os.urandom(size)
    return [serialize_message(MessageType.CARGO, recipient, payload, sender_key=key,
                              sender_certificate=certificate, ttl=86400) for _ in range(count)]


def _deliver(host: str, cert: bytes, cargo: list[bytes], streams: int = 1) -> float:
    """Return seconds to deliver every cargo (split over `streams` concurrent calls)."""
    options = [("grpc.max_send_message_length", LIMIT), ("grpc.max_receive_message_length", LIMIT)]
    credentials = grpc.ssl_channel_credentials(root_certificates=cert)
    shares = [cargo[i::streams] for i in range(streams)]

    def one(share: list[bytes]) -> None:
        with grpc.secure_channel(host, credentials, options=options) as channel:
            stub = cargo_relay(channel)
            requests: Iterator[cogrpc_pb2.CargoDelivery] = (
                cogrpc_pb2.CargoDelivery(id=str(i), cargo=c) for i, c in enumerate(share))
            acks = list(stub.DeliverCargo(requests, timeout=600))
            assert len(acks) == len(share), "not every cargo was acknowledged"
    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start


def _throughput(work: Path, count: int, size: int, label: str,
                rounds: int) -> tuple[float, float]:
    """Return the median rate over `rounds`, in cargo per second, of the courier and of the bare
    servicer.

    The rounds alternate which server goes first, so both see the same spells of this machine's
    noisy disk and CPU; the median, not the best, because the bare servicer's best round is an
    outlier (its rate swings by half from one round to the next here). Every round delivers new
    cargo, as the courier would only count repeated ones as duplicates.
    """
    data = work / f"data-{label}"
    _init(data)
    courier_port, bare_port = free_port(), free_port()
    courier = _serve(data, courier_port, work / f"courier-{label}.log")
    cert = (data / "keys" / "tls.crt").read_bytes()
    courier_rates: list[float] = []
    bare_rates: list[float] = []
    try:
        bare = _start([sys.executable, "-c", BARE, f"127.0.0.1:{bare_port}",
                       str(data / "keys" / "tls.key"), str(data / "keys" / "tls.crt")],
                      work / f"bare-{label}.log")
        try:
            for number in range(rounds):
                cargo = _cargo(count, size)
                turns = [(bare_port, bare_rates), (courier_port, courier_rates)]
                for port, rates in turns if number % 2 == 0 else reversed(turns):
                    rates.append(count / _deliver(f"127.0.0.1:{port}", cert, cargo))
        finally:
            stop_process(bare)
    finally:
        stop_process(courier)
    return statistics.median(courier_rates), statistics.median(bare_rates)


def _peak_rss(pid: int, reset: bool = False) -> float:
    """Return the process's peak RSS in MB, then start a new peak if `reset`."""
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines()
                if line.startswith("VmHWM")) / 1024
    if reset:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    return peak


def _limit_size_garbage(count: int) -> list[bytes]:
    """Return messages of exactly the 9 MiB limit with a cargo header: acked and dropped."""
    return [b"Awala\x43\x00" + os.urandom(MAX_MESSAGE_SIZE - 7) for _ in range(count)]


def _first_cargo_and_rss(work: Path, quick: bool) -> tuple[float, float, float]:
    """Return (ms to the first cargo with many objects stored, peak server RSS in MB with 8
    concurrent largest valid cargo, and with 8 concurrent 9 MiB messages)."""
    from bench.bench_store import _populate  # noqa: PLC0415

    data = work / "data-big"
    key = generate_rsa_key()
    certificate = issue_certificate(key, is_ca=True)
    _populate(data, 10_000 if quick else 100_000, first_recipient=certificate.node_id)
    cca = serialize_message(MessageType.CCA, Recipient("0" + "cd" * 32, "gateway.example"),
                            b"request", sender_key=key, sender_certificate=certificate,
                            ttl=86400, creation_date=datetime.now(UTC) - timedelta(minutes=5))
    port = free_port()
    courier = _serve(data, port, work / "courier-big.log")
    cert = (data / "keys" / "tls.crt").read_bytes()
    try:
        # Phones arrive once the hotspot is up, never in the first instants after start, when
        # the panel draws its first frame and counts the store: measure once that has settled.
        time.sleep(2)
        first = _time_to_first(f"127.0.0.1:{port}", cert, cca)
        big = _cargo(8, LARGEST_PAYLOAD)
        _peak_rss(courier.pid, reset=True)
        _deliver(f"127.0.0.1:{port}", cert, big, streams=8)
        peak = _peak_rss(courier.pid, reset=True)
        _deliver(f"127.0.0.1:{port}", cert, _limit_size_garbage(8), streams=8)
        peak_limit = _peak_rss(courier.pid)
    finally:
        stop_process(courier)
    return first, peak, peak_limit


def _bare_peak_rss(work: Path, cert_dir: Path) -> float:
    """Return the bare acking servicer's peak RSS (MB) for the same 8 concurrent deliveries."""
    port = free_port()
    bare = _start([sys.executable, "-c", BARE, f"127.0.0.1:{port}",
                   str(cert_dir / "tls.key"), str(cert_dir / "tls.crt")], work / "bare-rss.log")
    try:
        _deliver(f"127.0.0.1:{port}", (cert_dir / "tls.crt").read_bytes(),
                 _cargo(8, LARGEST_PAYLOAD), streams=8)
        return _peak_rss(bare.pid)
    finally:
        stop_process(bare)


def _collection_peak_rss(work: Path, gateways: int = 8, each: int = 4) -> float:
    """Return the peak RSS (MB) while `gateways` gateways collect `each` largest cargo at once."""
    data = work / "data-collect"
    _init(data)
    sender_key = generate_rsa_key()
    sender = issue_certificate(sender_key, is_ca=True)
    payload = os.urandom(LARGEST_PAYLOAD)
    headers = []
    store = FileStore.open(data, per_sender_fraction=1.0)
    try:
        for _ in range(gateways):
            key = generate_rsa_key()
            certificate = issue_certificate(key, is_ca=True)
            for _ in range(each):
                raw = serialize_message(MessageType.CARGO, Recipient(certificate.node_id),
                                        payload, sender_key=sender_key,
                                        sender_certificate=sender, ttl=86400)
                store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
            cca = serialize_message(MessageType.CCA, Recipient("0" + "cd" * 32, "gw.example"),
                                    b"request", sender_key=key, sender_certificate=certificate,
                                    ttl=86400,
                                    creation_date=datetime.now(UTC) - timedelta(minutes=5))
            headers.append("Relaynet-CCA " + base64.b64encode(cca).decode())
    finally:
        store.close()
    port = free_port()
    courier = _serve(data, port, work / "courier-collect.log")
    cert = (data / "keys" / "tls.crt").read_bytes()
    try:
        time.sleep(2)
        _peak_rss(courier.pid, reset=True)
        threads = [threading.Thread(target=_collect_acking, args=(f"127.0.0.1:{port}", cert, h))
                   for h in headers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return _peak_rss(courier.pid)
    finally:
        stop_process(courier)


def _collect_acking(host: str, cert: bytes, header: str) -> None:
    """Collect as the private gateways do: ack each cargo as it arrives."""
    acks: queue.Queue[str | None] = queue.Queue()

    def requests() -> Iterator[cogrpc_pb2.CargoDeliveryAck]:
        while (delivery_id := acks.get()) is not None:
            yield cogrpc_pb2.CargoDeliveryAck(id=delivery_id)

    credentials = grpc.ssl_channel_credentials(root_certificates=cert)
    with grpc.secure_channel(host, credentials, options=[
            ("grpc.max_receive_message_length", LIMIT)]) as channel:
        stub = cargo_relay(channel)
        try:
            for delivery in stub.CollectCargo(requests(), metadata=(("authorization", header),),
                                              timeout=30):
                acks.put(delivery.id)
        finally:
            acks.put(None)


def _time_to_first(host: str, cert: bytes, cca: bytes) -> float:
    credentials = grpc.ssl_channel_credentials(root_certificates=cert)
    header = "Relaynet-CCA " + base64.b64encode(cca).decode()
    with grpc.secure_channel(host, credentials, options=[
            ("grpc.max_receive_message_length", LIMIT)]) as channel:
        stub = cargo_relay(channel)
        grpc.channel_ready_future(channel).result(timeout=10)
        start = time.perf_counter()
        call = stub.CollectCargo(iter([]), metadata=(("authorization", header),), timeout=5)
        for _ in call:
            break
        return (time.perf_counter() - start) * 1000


def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(dir=REPO) as folder:
        work = Path(folder)
        size = 1024 * 1024
        rate, bare = _throughput(work, 8 if quick else 48, size, "1m", 3 if quick else 7)
        megabytes = len(_cargo(1, size)[0]) / 1e6
        figures.append(Figure("DeliverCargo 1 MiB cargo, TLS loopback, durable",
                              rate * megabytes, "MB/s", bare * megabytes,
                              ">= 50% of a bare acking servicer"))
        rate, bare = _throughput(work, 200 if quick else 2000, 4096, "4k", 3 if quick else 5)
        figures.append(Figure("DeliverCargo 4 KiB cargo, TLS loopback, durable", rate,
                              "cargo/s", bare, ""))
        first, peak, peak_limit = _first_cargo_and_rss(work, quick)
        figures.append(Figure("CollectCargo time to first cargo, 100k objects stored", first,
                              "ms", None, "< 50 ms"))
        bare_peak = _bare_peak_rss(work, work / "data-big" / "keys")
        figures.append(Figure("peak server RSS, 8 concurrent largest valid cargo", peak, "MB",
                              bare_peak, "< 200 MB (baseline: bare servicer)"))
        figures.append(Figure("peak server RSS, 8 concurrent 9 MiB (limit) messages", peak_limit,
                              "MB", None, "< 200 MB"))
        figures.append(Figure("peak server RSS, 8 gateways collecting 4 largest cargo each",
                              _collection_peak_rss(work, each=2 if quick else 4), "MB", None,
                              "< 200 MB"))
    return figures
