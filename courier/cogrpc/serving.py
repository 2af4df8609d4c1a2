"""The grpc.aio server for private gateways: TLS only, limits sized for Awala cargo."""

import grpc

from courier.cogrpc.generated import cogrpc_pb2
from courier.cogrpc.relay import MAX_CCA_HEADER, MESSAGE_LIMIT, CargoRelay
from courier.cogrpc.wire import parse_delivery

SERVER_OPTIONS: list[tuple[str, int]] = [
    ("grpc.max_receive_message_length", MESSAGE_LIMIT),
    ("grpc.max_send_message_length", MESSAGE_LIMIT),
    # A base64 CCA is about 4.7 KB; anything far larger is refused before it reaches us.
    ("grpc.max_metadata_size", MAX_CCA_HEADER + 4096),
    # One connection may not hog the server (the Android gateway uses at most 2 streams).
    ("grpc.max_concurrent_streams", 3),
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
MAX_CONCURRENT_CALLS = 32
SERVICE = "relaynet.cogrpc.CargoRelay"


def add_relay(relay: CargoRelay, server: grpc.aio.Server) -> None:
    """Register the service; deliveries are coded by courier.cogrpc.wire (one cargo copy)."""
    handlers = {
        "DeliverCargo": grpc.stream_stream_rpc_method_handler(
            relay.DeliverCargo, request_deserializer=parse_delivery,
            response_serializer=cogrpc_pb2.CargoDeliveryAck.SerializeToString),
        "CollectCargo": grpc.stream_stream_rpc_method_handler(
            relay.CollectCargo, request_deserializer=cogrpc_pb2.CargoDeliveryAck.FromString,
            response_serializer=bytes),  # the relay yields encoded CargoDelivery messages
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))


def make_server(relay: CargoRelay, listen: list[str], key_pem: bytes, cert_pem: bytes,
                max_calls: int = MAX_CONCURRENT_CALLS) -> tuple[grpc.aio.Server, list[int]]:
    """Return the (not yet started) server and the ports it bound (port 0 picks one)."""
    server = grpc.aio.server(options=SERVER_OPTIONS, maximum_concurrent_rpcs=max_calls)
    add_relay(relay, server)
    credentials = grpc.ssl_server_credentials([(key_pem, cert_pem)])
    ports = [server.add_secure_port(endpoint, credentials) for endpoint in listen]
    if 0 in ports:
        raise OSError(f"could not listen on {listen}")
    return server, ports
