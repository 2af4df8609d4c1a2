"""The CogRPC client for Internet gateways: TLS always, limits for 9 MiB cargo, cut-proof calls."""

import asyncio
import base64
import contextlib
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import grpc

from courier.cogrpc.budget import ByteBudget, Claim
from courier.cogrpc.generated import cogrpc_pb2, cogrpc_pb2_grpc
from courier.net.srv import Target
from courier.protocol import MAX_MESSAGE_SIZE

LOG = logging.getLogger(__name__)
LIMIT = MAX_MESSAGE_SIZE + 4096
# A write into a call the server has ended or cut fails with one of these: expected.
CUT_ERRORS = (grpc.aio.AioRpcError, asyncio.InvalidStateError)
DeliverCall = grpc.aio.StreamStreamCall[cogrpc_pb2.CargoDelivery, cogrpc_pb2.CargoDeliveryAck]
# Where Debian and most distributions keep the system roots when OpenSSL names no file.
SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def system_roots() -> bytes | None:
    """Return the system's trusted roots (PEM), honouring SSL_CERT_FILE; None if none is found."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, *SYSTEM_BUNDLES):
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_bytes()
    return None


def trust_bundle(extra_ca: bytes | None) -> bytes | None:
    """Return the system roots plus `extra_ca`: a test CA adds to the roots, never replaces them.

    PROTOCOL.md section 10: the real gateway has a publicly trusted certificate.
    """
    roots = system_roots()
    if extra_ca is None:
        return roots  # None: grpcio's own bundled roots
    return (roots or b"") + b"\n" + extra_ca


def open_channel(target: Target, ca_pem: bytes | None) -> grpc.aio.Channel:
    """Return a TLS channel trusting the system roots plus `ca_pem`; never plaintext."""
    credentials = grpc.ssl_channel_credentials(root_certificates=trust_bundle(ca_pem))
    options: list[tuple[str, int | str]] = [
        ("grpc.max_receive_message_length", LIMIT), ("grpc.max_send_message_length", LIMIT)]
    if target.tls_name != target.host:
        # SNI and certificate check against the gateway's name, not the address dialled.
        options.append(("grpc.ssl_target_name_override", target.tls_name))
        options.append(("grpc.default_authority", target.tls_name))
    return grpc.aio.secure_channel(f"{target.host}:{target.port}", credentials, options=options)


async def deliver(channel: grpc.aio.Channel, items: Sequence[tuple[str, int]],
                  load: Callable[[str], Awaitable[bytes]], *,
                  on_ack: Callable[[str, float], Awaitable[None]], timeout: float,
                  budget: ByteBudget | None = None) -> tuple[str, float]:
    """Stream cargo (ref, size), each loaded just before it is written and held until its ack.

    `on_ack(ref, elapsed)` runs as each ack arrives, so a call cut later keeps what was acked.
    Return (status, elapsed seconds); "all acks received" is "OK" whatever the server does next.
    """
    stub = cogrpc_pb2_grpc.CargoRelayStub(channel)  # type: ignore[no-untyped-call]
    start = time.monotonic()
    call = stub.DeliverCargo(timeout=timeout)
    # Ids are the position in the call: store references never leave the device.
    refs = {str(n): ref for n, (ref, _) in enumerate(items)}
    claims: dict[str, Claim] = {}
    sender = asyncio.create_task(_send(call, items, load, budget, claims))
    sender.add_done_callback(lambda task: task.cancelled() or task.exception() is None
                             or call.cancel())
    status = "OK"
    try:
        async for ack in call:
            ref = refs.pop(ack.id, None)
            if ref is None:
                continue  # an id we did not send, or sent twice: ignore
            claim = claims.pop(ack.id, None)
            if claim is not None:
                claim.release()  # the bytes were released by the sender already
            await on_ack(ref, time.monotonic() - start)
            if not refs:
                break
        if refs or not items:
            status = (await call.code()).name
            if refs and status == "OK":
                status = "INCOMPLETE"  # the server ended the call without acking everything
    except grpc.aio.AioRpcError as error:
        status = error.code().name
    finally:
        call.cancel()  # as the JS client once all is acked; a no-op after the end
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender  # a write into a cut call fails: expected, the status says why
        for claim in claims.values():
            claim.release()
    failure = sender.exception() if sender.done() and not sender.cancelled() else None
    if failure is not None and not isinstance(failure, CUT_ERRORS):
        # Our side failed (the store could not give the cargo): say so, not "cancelled".
        LOG.warning("delivery stopped: %s", type(failure).__name__)
        status = "LOCAL_ERROR" if status in ("OK", "CANCELLED") else status
    return status, time.monotonic() - start


async def _send(call: "DeliverCall", items: Sequence[tuple[str, int]],
                load: Callable[[str], Awaitable[bytes]], budget: ByteBudget | None,
                claims: dict[str, Claim]) -> None:
    """Write each cargo inside the byte budget; the claim lasts until the ack releases it."""
    for n, (ref, size) in enumerate(items):
        delivery_id = str(n)
        if budget is not None:
            claims[delivery_id] = await budget.claim(size)
        message = cogrpc_pb2.CargoDelivery(id=delivery_id, cargo=await load(ref))
        await call.write(message)
        del message  # grpc holds its own serialised copy until sent
    await call.done_writing()


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
    finally:
        call.cancel()
