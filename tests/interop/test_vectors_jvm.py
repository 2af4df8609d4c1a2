"""Interop with BouncyCastle as the JVM library (Android gateway) uses it: both directions.

tests/jvm/JvmVectors.java is compiled now against Debian's BouncyCastle and makes cargo and CCAs
the way awala-jvm does (CMSSignedDataGenerator, RSA-PSS, indefinite-length BER); we and the
official JS library must read them, and BouncyCastle must verify what we and the JS library make.
"""

import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.protocol import (
    ExpiredMessageError,
    InvalidSignatureError,
    MessageType,
    RamfMessage,
    Recipient,
    parse_message,
    validate_message,
)
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message
from tests.conftest import JS_DIR, REPO, node_available
from tests.interop import bound
from tests.protocol.differential import (
    check_cms_of_messages,
    check_every_flipped_octet,
    vector_messages,
)

pytestmark = [pytest.mark.interop, pytest.mark.timeout(300)]
SOURCE = REPO / "tests" / "jvm" / "JvmVectors.java"
JARS = [Path("/usr/share/java") / f"{name}.jar" for name in ("bcprov", "bcpkix", "bcutil")]
Manifest = dict[str, object]
Vector = dict[str, object]
RunJvm = Callable[..., str]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def jvm(tmp_path_factory: pytest.TempPathFactory) -> RunJvm:
    """Compile the BouncyCastle program; return a runner of its commands."""
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("javac missing: scripts/setup --test as root installs default-jdk-headless")
    missing = [str(jar) for jar in JARS if not jar.exists()]
    if missing:
        pytest.skip(f"BouncyCastle missing ({missing}): install libbcpkix-java")
    classes = tmp_path_factory.mktemp("jvm-classes")
    classpath = ":".join(map(str, JARS))
    subprocess.run(["javac", "-d", str(classes), "-cp", classpath, str(SOURCE)], check=True,
                   capture_output=True, timeout=120)

    def run(*args: str) -> str:
        return subprocess.run(["java", "-cp", f"{classes}:{classpath}", "JvmVectors", *args],
                              check=True, capture_output=True, text=True, timeout=180).stdout
    return run


@pytest.fixture(scope="module")
def jvm_vectors(jvm: RunJvm, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    """Messages made now by BouncyCastle as awala-jvm makes them, with the fields it read back."""
    folder = tmp_path_factory.mktemp("jvm-vectors")
    jvm("make", str(folder))
    return folder, json.loads((folder / "manifest.json").read_text())


def _vectors(manifest: Manifest, valid: bool) -> list[Vector]:
    vectors = manifest["vectors"]
    assert isinstance(vectors, list)
    return [v for v in vectors if v["valid"] is valid]


def _now(manifest: Manifest) -> datetime:
    return datetime.fromisoformat(str(manifest["now"]).replace("Z", "+00:00"))


def _fields(message: RamfMessage) -> Vector:
    return {
        "type": "cca" if message.message_type is MessageType.CCA else "cargo",
        "id": message.id, "recipientId": message.recipient.id,
        "internetAddress": message.recipient.internet_address,
        "creationDate": _iso(message.creation_date), "ttl": message.ttl,
        "senderId": message.sender_id, "payloadSize": message.payload_size,
        "caCertificates": len(message.ca_certificates), "size": len(message.serialized),
    }


def test_we_accept_every_valid_jvm_vector_and_read_what_bouncycastle_wrote(
    jvm_vectors: tuple[Path, Manifest],
) -> None:
    folder, manifest = jvm_vectors
    cases = _vectors(manifest, valid=True)
    assert len(cases) == 13
    for case in cases:
        message = parse_message((folder / str(case["file"])).read_bytes())
        validate_message(message, _now(manifest), bound=bound(case["bound"]))
        ours = _fields(message)
        assert ours == {key: case[key] for key in ours}, case["file"]


def test_invalid_jvm_vectors_raise_the_right_error(jvm_vectors: tuple[Path, Manifest]) -> None:
    folder, manifest = jvm_vectors
    errors = {"ExpiredMessageError": ExpiredMessageError,
              "InvalidSignatureError": InvalidSignatureError}
    cases = _vectors(manifest, valid=False)
    assert {str(c["error"]) for c in cases} == set(errors)
    for case in cases:
        raw = (folder / str(case["file"])).read_bytes()
        with pytest.raises(errors[str(case["error"])]):
            validate_message(parse_message(raw), _now(manifest), bound="internet")


def test_jvm_vectors_are_bouncycastle_ber_with_its_signed_attributes(
    jvm_vectors: tuple[Path, Manifest],
) -> None:
    """The vectors exercise the JVM encoding, not DER: otherwise the tests above prove little."""
    folder, manifest = jvm_vectors
    for case in _vectors(manifest, valid=True):
        raw = (folder / str(case["file"])).read_bytes()
        assert raw[7:9] == b"\x30\x80", "ContentInfo with an indefinite length"
        assert b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a" in raw, "RSASSA-PSS"
        assert b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05" in raw, "signingTime"
        assert b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x09\x34" in raw, "CMSAlgorithmProtection"
        assert case["signedAttributes"] == 4
    big = (folder / "cargo-internet-1MiB.ramf").read_bytes()
    # eContent in 1000-octet chunks: OCTET STRING, two length octets, 0x03e8.
    assert big.count(b"\x04\x82\x03\xe8") >= 1024 * 1024 // 1000


def _official_verdicts(files: list[Path]) -> dict[str, Vector]:
    out = subprocess.run(["node", str(JS_DIR / "vectors" / "verify-messages.mjs"),
                          *map(str, files)], cwd=JS_DIR, check=True, capture_output=True,
                         text=True, timeout=180).stdout
    lines = [json.loads(line) for line in out.splitlines()]
    return {str(line["file"]): line for line in lines}


def test_the_official_js_library_reads_the_jvm_vectors_as_bouncycastle_wrote_them(
    jvm_vectors: tuple[Path, Manifest],
) -> None:
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    folder, manifest = jvm_vectors
    cases = _vectors(manifest, valid=True) + _vectors(manifest, valid=False)
    verdicts = _official_verdicts([folder / str(case["file"]) for case in cases])
    keys = ("id", "recipientId", "internetAddress", "ttl", "senderId", "payloadSize",
            "caCertificates")
    for case in cases:
        verdict = verdicts[str(folder / str(case["file"]))]
        assert verdict["ok"] is case["valid"], (case["file"], verdict)
        if case["valid"]:
            assert {k: verdict[k] for k in keys} == {k: case[k] for k in keys}, case["file"]
            assert verdict["creationDate"] == str(case["creationDate"]).replace("Z", ".000Z")


def _bouncycastle(jvm: RunJvm, files: list[Path]) -> dict[str, Vector]:
    lines = [json.loads(line) for line in jvm("verify", *map(str, files)).splitlines()]
    return {str(line["file"]): line for line in lines}


def test_bouncycastle_verifies_what_we_serialise_in_every_encoding(
    jvm: RunJvm, tmp_path: Path,
) -> None:
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    root_key = generate_rsa_key(2048)
    root = issue_certificate(root_key, is_ca=True, path_len=2)
    expected: dict[str, Vector] = {}
    for hash_name, bits in (("sha256", 2048), ("sha384", 3072), ("sha512", 2048)):
        key = generate_rsa_key(bits) if bits != 2048 else root_key
        certificate = issue_certificate(key, root_key, root, is_ca=True, path_len=1)
        for encoding in ("der", "js", "jvm"):
            for kind, chain in ((MessageType.CARGO, (root,)), (MessageType.CCA, ())):
                raw = serialize_message(
                    kind, Recipient(root.node_id, "gateway.example"), b"P" * 5000,
                    sender_key=key, sender_certificate=certificate, ca_certificates=chain,
                    creation_date=created, ttl=3600, hash_name=hash_name, encoding=encoding)
                path = tmp_path / f"{kind.name}-{hash_name}-{encoding}.ramf"
                path.write_bytes(raw)
                expected[str(path)] = {**_fields(parse_message(raw)), "ok": True}
    verdicts = _bouncycastle(jvm, [Path(p) for p in expected])
    for name, fields in expected.items():
        verdict = verdicts[name]
        assert verdict["ok"], (name, verdict)
        fields.pop("type")
        assert {k: verdict[k] for k in fields} == fields, name


def test_bouncycastle_verifies_what_the_official_js_library_makes(
    jvm: RunJvm, tmp_path: Path,
) -> None:
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    subprocess.run(["node", str(JS_DIR / "vectors" / "make-vectors.mjs"), str(tmp_path)],
                   cwd=JS_DIR, check=True, capture_output=True, timeout=180)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    # BouncyCastle checks the signature, not the dates: expired vectors are well signed.
    cases = [v for v in manifest["vectors"]
             if v["valid"] or v["error"] == "InvalidSignatureError"]
    assert any(not case["valid"] for case in cases)
    verdicts = _bouncycastle(jvm, [tmp_path / case["file"] for case in cases])
    keys = ("id", "recipientId", "internetAddress", "ttl", "senderId", "payloadSize",
            "caCertificates", "size")
    for case in cases:
        verdict = verdicts[str(tmp_path / case["file"])]
        assert verdict["ok"] is case["valid"], (case["file"], verdict)
        if case["valid"]:
            assert {k: verdict[k] for k in keys} == {k: case[k] for k in keys}, case["file"]


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(data=st.data())
def test_the_cms_paths_agree_on_mutations_of_the_jvm_vectors(
    jvm_vectors: tuple[Path, dict[str, object]], data: st.DataObject,
) -> None:
    """Messages BouncyCastle made, mutated: one verdict and reason on every path."""
    check_cms_of_messages(vector_messages(jvm_vectors), data)


def test_the_cms_paths_agree_on_every_flipped_octet_of_a_jvm_vector(
    jvm_vectors: tuple[Path, dict[str, object]],
) -> None:
    messages = sorted(vector_messages(jvm_vectors), key=len)
    check_every_flipped_octet(messages[len(messages) // 2][7:], 0xFF)
