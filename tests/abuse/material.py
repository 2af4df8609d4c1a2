"""Hostile but well-formed material: cargo with giant certificates, a gateway with big cargo."""

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from courier.protocol import Certificate, MessageType, Recipient
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message

GATEWAY_ADDRESS = "gateway.example"


def giant_certificate(key: rsa.RSAPrivateKey, size: int) -> SimpleNamespace:
    """Return a parseable self-issued certificate padded to `size` bytes by an extension.

    A stand-in with the three attributes serialize_message reads, so the test process does not
    cache what it sends.
    """
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "giant")])
    padding = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1"),
                                         os.urandom(size))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(padding, critical=False).sign(key, hashes.SHA256()))
    return SimpleNamespace(der=cert.public_bytes(serialization.Encoding.DER),
                           issuer_der=name.public_bytes(), serial_number=cert.serial_number)


def cargo_with_giant_certificates(count: int, size: int) -> Iterator[bytes]:
    """Yield valid Internet-bound cargo, each with a distinct certificate of about `size` bytes.

    Even ones are signed by the giant certificate; odd ones by a normal certificate, with the
    giant one attached as an extra certificate.
    """
    key = generate_rsa_key()
    normal = issue_certificate(key, not_before=datetime.now(UTC) - timedelta(days=1))
    recipient = Recipient("0" + "ab" * 32, GATEWAY_ADDRESS)
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    for i in range(count):
        giant = giant_certificate(key, size)
        signer, extra = (giant, ()) if i % 2 == 0 else (normal, (giant,))
        yield serialize_message(MessageType.CARGO, recipient, b"parcels", sender_key=key,
                                sender_certificate=signer,  # type: ignore[arg-type]  # duck-typed giant
                                ca_certificates=extra,  # type: ignore[arg-type]  # duck-typed giant
                                creation_date=created, ttl=86_400)


class BigCargoGateway:
    """A private gateway with a CCA, and big cargo waiting for it at the courier."""

    def __init__(self) -> None:
        self.key = generate_rsa_key()
        start = datetime.now(UTC) - timedelta(days=1)
        self.certificate: Certificate = issue_certificate(self.key, is_ca=True, path_len=1,
                                                          not_before=start)
        internet_key = generate_rsa_key()
        self.internet = issue_certificate(internet_key, is_ca=True, path_len=2, not_before=start)
        # The Internet gateway signs the cargo it returns with a certificate this gateway issued.
        self.reply_key = internet_key
        self.reply_certificate = issue_certificate(internet_key, self.key, self.certificate,
                                                   not_before=start)
        self.created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)

    def cca(self) -> bytes:
        """Return a CCA from this gateway for its Internet gateway."""
        return serialize_message(
            MessageType.CCA, Recipient(self.internet.node_id, GATEWAY_ADDRESS), b"request",
            sender_key=self.key, sender_certificate=self.certificate,
            creation_date=self.created, ttl=86_400)

    def cargo(self, count: int, payload_size: int) -> Iterator[bytes]:
        """Yield `count` cargo for this gateway with payloads of `payload_size` bytes."""
        for _ in range(count):
            yield serialize_message(
                MessageType.CARGO, Recipient(self.certificate.node_id), os.urandom(payload_size),
                sender_key=self.reply_key, sender_certificate=self.reply_certificate,
                creation_date=self.created, ttl=86_400)
