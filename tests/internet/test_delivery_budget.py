"""An Internet sync's deliveries count against the daemon's byte budget until each ack."""

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest

from courier.cogrpc.budget import ByteBudget
from courier.cogrpc.client import deliver
from courier.cogrpc.generated import cogrpc_pb2

MIB = 1024 * 1024
DELIVER = "/relaynet.cogrpc.CargoRelay/DeliverCargo"


class SilentGateway:
    """An Internet gateway that reads every cargo and never acknowledges one (a slow uplink)."""

    def __init__(self) -> None:
        self.received = 0

    async def deliver(self, requests: AsyncIterator[cogrpc_pb2.CargoDelivery],
                      _context: grpc.aio.ServicerContext[object, object]) -> None:
        """Count deliveries; answer nothing (grpc.aio takes a coroutine for a stream)."""
        async for _ in requests:
            self.received += 1


@pytest.mark.timeout(60)
def test_unacked_deliveries_stop_at_the_budget_and_release_it_at_the_end() -> None:
    async def run() -> tuple[int, list[int], int, str]:
        gateway = SilentGateway()
        server = grpc.aio.server()
        handler = grpc.stream_stream_rpc_method_handler(
            gateway.deliver, request_deserializer=cogrpc_pb2.CargoDelivery.FromString,
            response_serializer=lambda raw: raw)
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(
            "relaynet.cogrpc.CargoRelay", {"DeliverCargo": handler}),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        budget = ByteBudget(3 * MIB)
        used: list[int] = []

        async def load(_ref: str) -> bytes:
            return bytes(MIB)

        async def acked(_ref: str, _elapsed: float) -> None:
            raise AssertionError("the gateway acknowledges nothing")

        async def watch() -> None:
            while True:
                used.append(budget.used)
                await asyncio.sleep(0.05)
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                watcher = asyncio.create_task(watch())
                status, _ = await deliver(channel, [(str(n), MIB) for n in range(6)], load,
                                          on_ack=acked, timeout=2.0, budget=budget)
                watcher.cancel()
                return gateway.received, used, budget.used, status
        finally:
            await server.stop(0)

    received, used, after, status = asyncio.run(run())
    assert status == "DEADLINE_EXCEEDED"
    assert received == 3  # the fourth waited for room that only an ack would have made
    assert max(used) == 3 * MIB
    assert after == 0  # every claim released when the call ended
