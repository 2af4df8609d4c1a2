"""An Internet-gateway double (official libraries, TLS with a test CA) and a stocked courier."""

import datetime
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from courier.protocol import parse_message
from courier.store import Direction, FileStore, ObjectMeta
from tests.cogrpc.conftest import World, free_port, world  # noqa: F401 - a fixture, used by name
from tests.conftest import JS_DIR, REPO

DOUBLE = JS_DIR / "internet-gateway" / "double.mjs"


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, issuer: str, key: ec.EllipticCurvePrivateKey,
                 signer: ec.EllipticCurvePrivateKey, *, server_name: str | None,
                 ca: bool) -> x509.Certificate:
    """Return a certificate valid from yesterday for 30 days, for a server name and/or a CA."""
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(subject))
               .issuer_name(_name(issuer)).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=30)))
    if server_name is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(server_name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0),
                                        critical=True)
    return builder.sign(signer, hashes.SHA256())


def _write(paths: tuple[Path, Path, Path], ca: x509.Certificate,
           key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> tuple[Path, Path, Path]:
    paths[0].write_bytes(_pem(ca))
    paths[1].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    paths[2].write_bytes(_pem(cert))
    return paths


def make_tls(folder: Path, name: str = "gateway.example",
             ca_name: str = "Courier test CA") -> tuple[Path, Path, Path]:
    """Write a CA and a server certificate for `name`; return (ca, key, cert) paths."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate(ca_name, ca_name, ca_key, ca_key, server_name=None, ca=True)
    cert = _certificate(name, ca_name, key, ca_key, server_name=name, ca=False)
    stem = ca_name.replace(" ", "-")
    return _write((folder / f"{stem}.pem", folder / f"{stem}.key", folder / f"{stem}.server.pem"),
                  ca, key, cert)


def make_self_signed(folder: Path, name: str = "gateway.example") -> tuple[Path, Path, Path]:
    """Write a self-signed certificate for `name` and 127.0.0.1 (the JS LAN client pins it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(name, name, key, key, server_name=name, ca=True)
    return _write((folder / "self.pem", folder / "self.key", folder / "self.pem"), cert, key, cert)


class Event(TypedDict):
    """One line the double records (double.mjs `record`); which keys are set depends on `call`."""

    call: str  # status, cold, cut, deliver or collect
    code: NotRequired[int]  # status: the gRPC status code it failed the call with
    details: NotRequired[str]  # status
    kind: NotRequired[str]  # cold, cut: which call
    valid: NotRequired[bool]  # deliver: the cargo passed validation
    size: NotRequired[int]  # deliver
    sha256: NotRequired[str]  # deliver
    ccaId: NotRequired[str]  # collect
    senderId: NotRequired[str]  # collect: the private gateway
    replies: NotRequired[list[str]]  # collect: SHA-256 of each reply sent


@dataclass
class Double:
    """A running Internet-gateway double."""

    process: "subprocess.Popen[str]"
    port: int
    record: Path
    ca: Path

    def events(self) -> list[Event]:
        """Return what the double recorded."""
        if not self.record.exists():
            return []
        # Each line is one `record` of double.mjs, of the shape `Event` describes.
        return [cast("Event", json.loads(line)) for line in self.record.read_text().splitlines()]


StartDouble = Callable[..., Double]


@pytest.fixture
def start_double(tmp_path: Path, world: World) -> Iterator[StartDouble]:  # noqa: F811
    """Start doubles in a given mode (and options: production, rate...); all stopped afterwards.

    `tls=(ca, key, cert)` serves another certificate than the test CA's default one.
    """
    started: list[Double] = []
    default_tls = make_tls(tmp_path)

    def start(mode: str = "normal", tls: tuple[Path, Path, Path] | None = None,
              **options: object) -> Double:
        ca, key, cert = tls or default_tls
        record = tmp_path / f"double-{len(started)}.jsonl"
        config = tmp_path / f"double-{len(started)}.json"
        config.write_text(json.dumps({"world": world["dir"], "key": str(key),
                                      "cert": str(cert), "mode": mode, "record": str(record),
                                      **options}))
        process = subprocess.Popen(["node", str(DOUBLE), str(config)], cwd=JS_DIR,
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening "):
            process.kill()
            process.wait()
            pytest.fail(f"the double did not start: {line!r}")
        double = Double(process, int(line.split()[1]), record, ca)
        started.append(double)
        return double

    yield start
    for double in started:
        double.process.send_signal(signal.SIGTERM)
        try:
            double.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            double.process.kill()
            double.process.wait()
        if double.process.stdout is not None:
            double.process.stdout.close()


def stock(data_dir: Path, world: World, gateways: list[int]) -> dict[str, list[str]]:  # noqa: F811
    """Store the gateways' outbound cargo and CCAs, as a hotspot session would have."""
    folder = Path(str(world["dir"]))
    store = FileStore.open(data_dir)
    files: dict[str, list[str]] = {"cargo": [], "ccas": []}
    try:
        for index in gateways:
            entry = world["gateways"][index]
            for name in [*entry["outbound"][:3], entry["cca"]]:
                raw = (folder / name).read_bytes()
                store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_INTERNET), raw)
                files["ccas" if name == entry["cca"] else "cargo"].append(str(folder / name))
    finally:
        store.close()
    return files


def sync(data_dir: Path, *args: str, timeout: float = 120,
         env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `courier sync-internet` as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "courier", "sync-internet", "--config", "/nonexistent",
         "--data-dir", str(data_dir), "--reply-wait", "0", *args],
        cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})})


def status(data_dir: Path) -> dict[str, int]:
    """Return `courier status --json`."""
    out = subprocess.run([sys.executable, "-m", "courier", "status", "--config", "/nonexistent",
                          "--data-dir", str(data_dir), "--json"], cwd=REPO, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    counts: dict[str, int] = json.loads(out)
    return counts


def wait_until(check: Callable[[], bool], timeout: float = 10) -> None:
    """Poll a condition."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.05)


@pytest.fixture
def dns_server() -> Iterator[int]:
    """A real dnsmasq on a loopback port serving SRV records for gw.example."""
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq not installed")
    port = free_port()
    process = subprocess.Popen(
        ["dnsmasq", "--keep-in-foreground", "--no-resolv", "--no-hosts", f"--port={port}",
         "--listen-address=127.0.0.1", "--bind-interfaces", "--user=root",
         "--srv-host=_awala-crc._tcp.gw.example,primary.example,443,10,100",
         "--srv-host=_awala-crc._tcp.gw.example,backup.example,8443,20,100",
         "--local=/example/"], stderr=subprocess.DEVNULL)
    yield port
    process.terminate()
    process.wait(timeout=10)
