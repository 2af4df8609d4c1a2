"""A JVM-shaped CogRPC client (as the Android gateway) and a TCP proxy that paces a link.

The Android gateway's client (awala-cogrpc-jvm on grpc-java 1.61 OkHttp; PROTOCOL.md section
10): user agent `grpc-java-okhttp/...`, 4 MiB receive limit, 64 KiB flow-control window, 5 s
per call including TCP and TLS, acks each cargo on receipt, verifies the server's IP SAN.
grpcio cannot be told to offer TLS 1.2 only (its C core's TLS version options are not exposed
in Python); tests check the server's TLS 1.2 + ALPN h2 handshake with the ssl module instead.
"""

import base64
import contextlib
import functools
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc

from courier.cogrpc.generated import cogrpc_pb2
from tests.cogrpc.stub import cargo_relay

USER_AGENT = "grpc-java-okhttp/1.61.0"
RECEIVE_LIMIT = 4 * 1024 * 1024  # grpc-java's default maxInboundMessageSize
WINDOW = 65_535  # OkHttp's initial HTTP/2 window
DEADLINE = 5.0


@dataclass
class Collected:
    """What one JVM-shaped CollectCargo call got."""

    code: grpc.StatusCode
    cargo: list[bytes] = field(default_factory=list)
    seconds: float = 0.0


def android_collect(target: str, cert_pem: bytes, cca: bytes,
                    deadline: float = DEADLINE) -> Collected:
    """Run one CollectCargo call as the Android gateway does; never raises on a gRPC error."""
    start = time.monotonic()
    options = [("grpc.primary_user_agent", USER_AGENT),
               ("grpc.max_receive_message_length", RECEIVE_LIMIT),
               ("grpc.http2.lookahead_bytes", WINDOW), ("grpc.http2.bdp_probe", 0)]
    acks: queue.Queue[str | None] = queue.Queue()

    def requests() -> Iterator[cogrpc_pb2.CargoDeliveryAck]:
        while (delivery_id := acks.get()) is not None:
            yield cogrpc_pb2.CargoDeliveryAck(id=delivery_id)

    result = Collected(grpc.StatusCode.OK)
    # The target is an IP address: grpc checks it against the certificate's iPAddress SAN.
    with grpc.secure_channel(target, grpc.ssl_channel_credentials(cert_pem), options) as channel:
        try:
            grpc.channel_ready_future(channel).result(timeout=deadline)
            left = deadline - (time.monotonic() - start)  # connection set-up counts too
            header = "Relaynet-CCA " + base64.b64encode(cca).decode()
            call = cargo_relay(channel).CollectCargo(
                requests(), metadata=(("authorization", header),), timeout=left)
            for delivery in call:
                result.cargo.append(delivery.cargo)
                acks.put(delivery.id)  # on receipt, before storing it
        except grpc.FutureTimeoutError:
            result.code = grpc.StatusCode.DEADLINE_EXCEEDED
        except grpc.RpcError as error:
            result.code = error.code()
        finally:
            acks.put(None)
    result.seconds = time.monotonic() - start
    return result


class PacedProxy:
    """Forwards loopback TCP to `target`, server-to-client bytes at `rate` bytes per second."""

    CHUNK = 8192

    def __init__(self, target: tuple[str, int], rate: float) -> None:
        self.target, self.rate = target, rate
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "PacedProxy":
        self._spawn(self._accept)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        with self._lock:
            for sock in self._sockets:
                sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listener.close()

    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self._lock:
                self._sockets += [client, server]
            self._spawn(functools.partial(self._pump, client, server, None))
            self._spawn(functools.partial(self._pump, server, client, self.rate))

    def _pump(self, source: socket.socket, sink: socket.socket, rate: float | None) -> None:
        """Copy bytes; with a rate, never ahead of it (the sender sees the back-pressure)."""
        started, moved = time.monotonic(), 0
        try:
            while not self._stop.is_set():
                data = source.recv(self.CHUNK)
                if not data:
                    break
                sink.sendall(data)
                moved += len(data)
                if rate is not None:
                    ahead = moved / rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
