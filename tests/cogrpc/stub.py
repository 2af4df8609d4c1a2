"""The generated CargoRelay client stub, with types (grpcio-tools generates it unannotated)."""

from __future__ import annotations  # grpc's callables are generic only in grpc-stubs

from typing import Protocol

import grpc

from courier.cogrpc.generated import cogrpc_pb2_grpc
from courier.cogrpc.generated.cogrpc_pb2 import CargoDelivery, CargoDeliveryAck


class CargoRelay(Protocol):
    """What `cogrpc_pb2_grpc.CargoRelayStub` offers (see courier/cogrpc/cogrpc.proto)."""

    DeliverCargo: grpc.StreamStreamMultiCallable[CargoDelivery, CargoDeliveryAck]
    CollectCargo: grpc.StreamStreamMultiCallable[CargoDeliveryAck, CargoDelivery]


def cargo_relay(channel: grpc.Channel) -> CargoRelay:
    """Return the generated client stub on this channel."""
    # The generated stub has no annotations: this is the one untyped call, for every test.
    return cogrpc_pb2_grpc.CargoRelayStub(channel)  # type: ignore[no-untyped-call]
