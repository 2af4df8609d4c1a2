"""Shared PKI and message factory for the protocol tests (keys are made once per session)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from courier.protocol import Certificate, MessageType, Recipient
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message

# A fixed "now" far from the real clock: every date in these tests is explicit.
NOW = datetime(2030, 6, 1, 12, 0, 0, tzinfo=UTC)
GATEWAY_ADDRESS = "gateway.example"


@dataclass(frozen=True)
class Pki:
    """An Internet gateway (self-issued CA) and a private gateway it certified."""

    gateway_key: rsa.RSAPrivateKey
    gateway_cert: Certificate
    private_key: rsa.RSAPrivateKey
    private_cert: Certificate
    stranger_key: rsa.RSAPrivateKey
    stranger_cert: Certificate


@pytest.fixture(scope="session")
def pki() -> Pki:
    gateway_key, private_key, stranger_key = (generate_rsa_key() for _ in range(3))
    start, end = NOW - timedelta(days=10), NOW + timedelta(days=300)
    gateway_cert = issue_certificate(gateway_key, is_ca=True, path_len=2,
                                     not_before=start, not_after=end)
    private_cert = issue_certificate(private_key, gateway_key, gateway_cert, is_ca=True,
                                     path_len=1, not_before=start, not_after=end)
    stranger_cert = issue_certificate(stranger_key, not_before=start, not_after=end)
    return Pki(gateway_key, gateway_cert, private_key, private_cert, stranger_key,
               stranger_cert)


MessageFactory = Callable[..., bytes]


@pytest.fixture(scope="session")
def make_message(pki: Pki) -> MessageFactory:
    """Return a factory of cargo from the private gateway to its Internet gateway."""

    def make(**overrides: Any) -> bytes:
        options: dict[str, Any] = {
            "message_type": MessageType.CARGO,
            "recipient": Recipient(pki.gateway_cert.node_id, GATEWAY_ADDRESS),
            "payload": b"encrypted parcels",
            "sender_key": pki.private_key,
            "sender_certificate": pki.private_cert,
            "message_id": "a1b2c3d4-e5f6-4789-abcd-0123456789ab",
            "creation_date": NOW - timedelta(minutes=90),
            "ttl": 86_400,
        }
        options.update(overrides)
        message_type = options.pop("message_type")
        recipient = options.pop("recipient")
        payload = options.pop("payload")
        return serialize_message(message_type, recipient, payload, **options)

    return make


@pytest.fixture(scope="session")
def small_message(make_message: MessageFactory) -> bytes:
    return make_message(payload=b"x" * 10)
