"""The grpc.aio server for private gateways: TLS only, limits sized for Awala cargo and abuse."""

import contextlib
import logging
import resource
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass

import grpc

from courier.cogrpc.counters import ServerCounters
from courier.cogrpc.generated import cogrpc_pb2
from courier.cogrpc.relay import MAX_CCA_HEADER, MESSAGE_LIMIT, CargoRelay, Context
from courier.cogrpc.wire import parse_delivery
from courier.reasons import Reason

LOG = logging.getLogger(__name__)
SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_receive_message_length", MESSAGE_LIMIT),
    ("grpc.max_send_message_length", MESSAGE_LIMIT),
    # A base64 CCA is about 4.7 KB; anything far larger is refused before it reaches us.
    ("grpc.max_metadata_size", MAX_CCA_HEADER + 4096),
    # Idle and stalled connections go away; phones come back at their next probe.
    ("grpc.max_connection_idle_ms", 10_000),
    ("grpc.max_connection_age_ms", 15 * 60 * 1000),
    ("grpc.max_connection_age_grace_ms", 10_000),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 5_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.so_reuseport", 0),
    # A stream's receive window stays at 1 MiB (no BDP probing, which grows it to megabytes):
    # cargo beyond that waits in the gateway until the relay reads it, within its byte budget.
    ("grpc.http2.bdp_probe", 0),
    ("grpc.http2.lookahead_bytes", 1024 * 1024),
]
SERVICE = "relaynet.cogrpc.CargoRelay"
Method = Callable[[AsyncIterator[object], Context], AsyncGenerator[object, None]]


@dataclass(frozen=True)
class ServerLimits:
    """What one client, and all of them, may hold (docs/cogrpc-server.md, "Limits")."""

    # 10 hotspot clients at their cap stay below the global cap: no address can take it all.
    max_calls: int = 64
    max_calls_per_client: int = 4
    # One connection may not hog the server (the Android gateway uses at most 2 streams).
    max_streams_per_connection: int = 3
    # The JVM client's deadline (5 s) covers TCP and TLS: a handshake never needs more.
    handshake_timeout_seconds: float = 5.0


class PerClientCap:
    """Refuses a call from an address that already has `limit` calls in progress."""

    def __init__(self, limit: int, counters: ServerCounters) -> None:
        self._limit = limit
        self._counters = counters
        self._calls: Counter[str] = Counter()

    def in_progress(self, address: str) -> int:
        """Return the number of calls of `address` in progress."""
        return self._calls[address]

    def guard(self, method: Method) -> Method:
        """Return `method` refusing, with RESOURCE_EXHAUSTED, calls beyond the cap."""
        async def guarded(requests: AsyncIterator[object],
                          context: Context) -> AsyncGenerator[object, None]:
            address = client_address(context)
            if self._calls[address] >= self._limit:
                self._counters.reject(Reason.TOO_MANY_CALLS)
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                    "too many calls from this address at once")
            self._calls[address] += 1
            try:
                # aclosing: the relay's own clean-up runs when this call ends, not at GC.
                async with contextlib.aclosing(method(requests, context)) as messages:
                    async for message in messages:
                        yield message
                        del message  # an encoded cargo must not outlive its send here
            finally:
                self._calls[address] -= 1
                if not self._calls[address]:
                    del self._calls[address]
        return guarded


def client_address(context: Context) -> str:
    """Return the peer's address without its port ("ipv4:10.97.0.5"), the key of the cap."""
    return (context.peer() or "unknown").rsplit(":", 1)[0]


def add_relay(relay: CargoRelay, server: grpc.aio.Server, per_client: int) -> None:
    """Register the service; deliveries are coded by courier.cogrpc.wire (one cargo copy)."""
    cap = PerClientCap(per_client, relay.counters)
    deliver: Method = relay.DeliverCargo  # type: ignore[assignment]
    collect: Method = relay.CollectCargo  # type: ignore[assignment]
    handlers = {
        "DeliverCargo": grpc.stream_stream_rpc_method_handler(
            cap.guard(deliver), request_deserializer=parse_delivery,
            response_serializer=cogrpc_pb2.CargoDeliveryAck.SerializeToString),
        "CollectCargo": grpc.stream_stream_rpc_method_handler(
            cap.guard(collect), request_deserializer=cogrpc_pb2.CargoDeliveryAck.FromString,
            response_serializer=bytes),  # the relay yields encoded CargoDelivery messages
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


def make_server(relay: CargoRelay, listen: list[str], key_pem: bytes, cert_pem: bytes,
                limits: ServerLimits | None = None) -> tuple[grpc.aio.Server, list[int]]:
    """Return the (not yet started) server and the ports it bound (port 0 picks one)."""
    limits = limits or ServerLimits()
    # gRPC keeps a connection that never finishes its TLS handshake for 120 s by default: a
    # silent or byte-by-byte client would hold a file descriptor that long.
    options = [*SERVER_OPTIONS,
               ("grpc.server_handshake_timeout_ms", int(limits.handshake_timeout_seconds * 1000)),
               ("grpc.max_concurrent_streams", limits.max_streams_per_connection)]
    server = grpc.aio.server(options=options, maximum_concurrent_rpcs=limits.max_calls)
    add_relay(relay, server, limits.max_calls_per_client)
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
    ports = [server.add_secure_port(endpoint, credentials) for endpoint in listen]
    if 0 in ports:
        raise OSError(f"could not listen on {listen}")
    return server, ports


def raise_fd_limit() -> int:
    """Raise the soft open-file limit to the hard one; return the limit now in force.

    systemd's default soft limit is 1 024 (for select()); gRPC uses epoll, and every connection,
    even one still in its handshake, holds a descriptor. courier.service sets LimitNOFILE.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as error:
            LOG.warning("could not raise the open-file limit from %d: %s", soft, error)
            return soft
    return hard
