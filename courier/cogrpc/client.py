"""The CogRPC client for Internet gateways: TLS always, limits for 9 MiB cargo, deadlines."""

import asyncio
import base64
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import grpc

from courier.cogrpc.generated import cogrpc_pb2, cogrpc_pb2_grpc
from courier.net.srv import Target
from courier.protocol import MAX_MESSAGE_SIZE

LIMIT = MAX_MESSAGE_SIZE + 4096


def open_channel(target: Target, ca_pem: bytes | None) -> grpc.aio.Channel:
    """Return a TLS channel (system roots, plus `ca_pem` when given); never plaintext."""
    credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem)
    options: list[tuple[str, int | str]] = [
        ("grpc.max_receive_message_length", LIMIT), ("grpc.max_send_message_length", LIMIT)]
    if target.tls_name != target.host:
        # SNI and certificate check against the gateway's name, not the address dialled.
        options.append(("grpc.ssl_target_name_override", target.tls_name))
        options.append(("grpc.default_authority", target.tls_name))
    return grpc.aio.secure_channel(f"{target.host}:{target.port}", credentials, options=options)


async def deliver(channel: grpc.aio.Channel, items: Sequence[tuple[str, bytes]],
                  timeout: float) -> tuple[set[str], str]:
    """Stream the cargo; return (acknowledged ids, final status name).

    "All acks received" is success even when the server never sends a status.
    """
    stub = cogrpc_pb2_grpc.CargoRelayStub(channel)  # type: ignore[no-untyped-call]
    call = stub.DeliverCargo(timeout=timeout)
    acked: set[str] = set()

    async def send() -> None:
        for delivery_id, cargo in items:
            await call.write(cogrpc_pb2.CargoDelivery(id=delivery_id, cargo=cargo))
        await call.done_writing()

    sender = asyncio.create_task(send())
    status = "OK"
    try:
        async for ack in call:
            acked.add(ack.id)
            if len(acked) >= len(items):
                break
        if len(acked) < len(items):
            status = (await call.code()).name
            if status == "OK":
                status = "INCOMPLETE"  # the server ended the call without acking everything
    except grpc.aio.AioRpcError as error:
        status = error.code().name
    finally:
        call.cancel()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError):
            await sender
    return acked, status


async def collect(channel: grpc.aio.Channel, cca: bytes, timeout: float,
                  on_cargo: Callable[[bytes], Awaitable[None]]) -> str:
    """Collect with a CCA; `on_cargo` stores each cargo before it is acked. Return the status."""
    stub = cogrpc_pb2_grpc.CargoRelayStub(channel)  # type: ignore[no-untyped-call]
    header = "Relaynet-CCA " + base64.b64encode(cca).decode()
    call = stub.CollectCargo(metadata=(("authorization", header),), timeout=timeout)
    try:
        async for delivery in call:
            await on_cargo(delivery.cargo)
            # The real Internet gateway does not wait for acks: a failed write is harmless.
            with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
                await call.write(cogrpc_pb2.CargoDeliveryAck(id=delivery.id))
        with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
            await call.done_writing()
        return str((await call.code()).name)
    except grpc.aio.AioRpcError as error:
        return str(error.code().name)
