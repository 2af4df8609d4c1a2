"""The CogRPC server's TLS identity: a persistent key and a long-lived self-issued certificate.

Private gateways pin whatever certificate they fetch (PROTOCOL.md section 7), but the JS client
checks that its SubjectAlternativeName has the IP address it dialled and that it is valid on the
phone's clock: so the certificate names the hotspot address and has fixed wide dates, never
taken from the device clock (a Pi has no battery-backed clock: a clock far ahead at first issue
would make every phone refuse it). It is reissued only when the address or the dates differ.
"""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from courier.atomic import write_atomically
from courier.errors import CourierError

KEY_FILE = "tls.key"
CERT_FILE = "tls.crt"
# Before any phone's clock, and the last second X.509 UTCTime can say (RFC 5280 4.1.2.5).
NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=datetime.UTC)


def _keys_dir(data_dir: Path) -> Path:
    folder = Path(data_dir) / "keys"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def ensure_tls_key(data_dir: Path) -> Path:
    """Create the TLS key (EC P-256, PEM, 0600) if missing; return its path. Idempotent."""
    path = _keys_dir(data_dir) / KEY_FILE
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        write_atomically(path, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    return path


def _current(cert_path: Path, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Tell whether the stored certificate names `ip` and has the fixed dates."""
    if not cert_path.exists():
        return False
    current = x509.load_pem_x509_certificate(cert_path.read_bytes())
    if (current.not_valid_before_utc, current.not_valid_after_utc) != (NOT_BEFORE, NOT_AFTER):
        return False  # issued from the device clock by an older version
    try:
        names = current.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return False
    return ip in names.value.get_values_for_type(x509.IPAddress)


def tls_identity(data_dir: Path, address: str) -> tuple[bytes, bytes]:
    """Return (key PEM, certificate PEM) for serving on `address`, issuing it if needed."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as error:
        raise CourierError(f"TLS address {address!r} must be an IP address") from error
    key_pem = ensure_tls_key(data_dir).read_bytes()
    cert_path = _keys_dir(data_dir) / CERT_FILE
    if _current(cert_path, ip):
        return key_pem, cert_path.read_bytes()
    key = serialization.load_pem_private_key(key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Awala courier")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ip), x509.DNSName("courier.lan")]), critical=False)
        # Clients use this certificate as their trust anchor, as for `openssl req -x509`.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    write_atomically(cert_path, cert_pem)
    return key_pem, cert_pem
