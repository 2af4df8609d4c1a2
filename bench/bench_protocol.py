"""Parse + verify throughput of RAMF cargo against the bare RSA-PSS check of the same bytes."""

from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.common import Figure, best_rate
from courier.protocol import MessageType, Recipient, parse_message
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import Encoding, serialize_message

MIB = 1024 * 1024
ENCODINGS: tuple[Encoding, ...] = ("der", "js", "jvm")
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def _cargo(key: rsa.RSAPrivateKey, payload_size: int, encoding: Encoding) -> bytes:
    now = datetime.now(UTC)
    gateway_key = generate_rsa_key()
    gateway = issue_certificate(gateway_key, is_ca=True, not_before=now - timedelta(hours=1))
    sender = issue_certificate(key, gateway_key, gateway, not_before=now - timedelta(hours=1))
    return serialize_message(
        MessageType.CARGO, Recipient(gateway.node_id, "gateway.example"),
        b"\xa5" * payload_size, sender_key=key, sender_certificate=sender,
        encoding=encoding)


def _rates(key: rsa.RSAPrivateKey, data: bytes, count: int) -> tuple[float, float]:
    """Return (parse_message rate, bare verify rate) in messages per second."""
    public = key.public_key()
    signature = key.sign(data, PSS, hashes.SHA256())
    parse_message(data)  # warm the certificate cache, as a running courier has

    def parse_all() -> None:
        for _ in range(count):
            parse_message(data)

    def verify_all() -> None:
        for _ in range(count):
            public.verify(signature, data, PSS, hashes.SHA256())

    return best_rate(parse_all, count), best_rate(verify_all, count)


def run(quick: bool) -> list[Figure]:
    """Measure 4 KiB cargo/s in each encoding and MB/s for 1 MiB and the largest cargo."""
    key = generate_rsa_key()
    figures = []
    small = 300 if quick else 3000
    for encoding in ENCODINGS:
        data = _cargo(key, 4096, encoding)
        rate, baseline = _rates(key, data, small)
        figures.append(Figure(f"parse+verify 4 KiB cargo ({encoding}) vs bare verify", rate,
                              "cargo/s", baseline, ">= 3000/s, ratio >= 0.33"))
    for label, size in (("1 MiB", MIB), ("8 MiB payload (largest)", 8 * MIB)):
        for encoding in ENCODINGS:
            data = _cargo(key, size, encoding)
            count = 2 if quick else (20 if size == MIB else 4)
            rate, baseline = _rates(key, data, count)
            megabytes = len(data) / 1e6
            figures.append(Figure(f"parse+verify {label} cargo ({encoding}) vs bare verify",
                                  rate * megabytes, "MB/s", baseline * megabytes))
    return figures
