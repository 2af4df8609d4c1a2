"""Interop with the official @relaycorp/relaynet-core: we read what it writes, it accepts ours."""

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.protocol import (
    ExpiredMessageError,
    InvalidSignatureError,
    MessageType,
    Recipient,
    parse_message,
    validate_message,
)
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import Encoding, serialize_message
from tests.conftest import JS_DIR, node_available
from tests.interop import bound
from tests.protocol.differential import (
    check_cms_of_messages,
    check_every_flipped_octet,
    vector_messages,
)

pytestmark = pytest.mark.interop
VECTORS = JS_DIR / "vectors"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """Vectors generated now by the pinned official library (the 8 MiB one is never committed)."""
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    folder = tmp_path_factory.mktemp("vectors")
    subprocess.run(["node", str(VECTORS / "make-vectors.mjs"), str(folder)], cwd=JS_DIR,
                   check=True, capture_output=True, timeout=180)
    return folder, json.loads((folder / "manifest.json").read_text())


def _cases(official: tuple[Path, dict[str, object]], valid: bool) -> list[dict[str, object]]:
    vectors = official[1]["vectors"]
    assert isinstance(vectors, list)
    return [v for v in vectors if v["valid"] is valid]


def test_we_accept_and_read_every_valid_official_vector_as_the_library_does(
    official: tuple[Path, dict[str, object]],
) -> None:
    folder, manifest = official
    now = datetime.fromisoformat(str(manifest["now"]).replace("Z", "+00:00"))
    cases = _cases(official, valid=True)
    assert len(cases) >= 14
    for case in cases:
        message = parse_message((folder / str(case["file"])).read_bytes())
        validate_message(message, now, bound=bound(case["bound"]))
        kind = "cca" if message.message_type is MessageType.CCA else "cargo"
        ours = {
            "type": kind, "id": message.id, "recipientId": message.recipient.id,
            "internetAddress": message.recipient.internet_address,
            "creationDate": _iso(message.creation_date), "ttl": message.ttl,
            "expiryDate": _iso(message.expiry_date), "senderId": message.sender_id,
            "payloadSize": message.payload_size,
            "caCertificates": len(message.ca_certificates), "size": len(message.serialized),
        }
        theirs = {key: case[key] for key in ours}
        assert ours == theirs, case["file"]


def test_official_invalid_vectors_raise_the_right_error(
    official: tuple[Path, dict[str, object]],
) -> None:
    folder, manifest = official
    now = datetime.fromisoformat(str(manifest["now"]).replace("Z", "+00:00"))
    errors = {"ExpiredMessageError": ExpiredMessageError,
              "InvalidSignatureError": InvalidSignatureError}
    cases = _cases(official, valid=False)
    assert {c["error"] for c in cases} == set(errors)
    for case in cases:
        raw = (folder / str(case["file"])).read_bytes()
        with pytest.raises(errors[str(case["error"])]):
            _parse_and_validate(raw, now)


def _parse_and_validate(raw: bytes, now: datetime) -> None:
    validate_message(parse_message(raw), now)


def _official_verdicts(files: list[Path]) -> dict[str, dict[str, object]]:
    out = subprocess.run(["node", str(VECTORS / "verify-messages.mjs"), *map(str, files)],
                         cwd=JS_DIR, check=True, capture_output=True, text=True,
                         timeout=180).stdout
    return {json.loads(line)["file"]: json.loads(line) for line in out.splitlines()}


def test_the_official_library_accepts_what_we_serialise(tmp_path: Path) -> None:
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    created = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    root_key = generate_rsa_key(2048)
    root = issue_certificate(root_key, is_ca=True, path_len=2)
    expected: dict[str, dict[str, object]] = {}
    encodings: tuple[Encoding, ...] = ("der", "js", "jvm")
    cases = [(bits, hash_name, encoding)
             for bits, hash_name in ((2048, "sha256"), (3072, "sha384"), (4096, "sha512"))
             for encoding in encodings]
    for bits, hash_name, encoding in cases:
        key = generate_rsa_key(bits) if bits != 2048 else root_key
        certificate = issue_certificate(key, root_key, root, is_ca=True, path_len=1)
        for kind, chain in ((MessageType.CARGO, (root,)), (MessageType.CCA, ())):
            raw = serialize_message(
                kind, Recipient(root.node_id, "gateway.example"), b"P" * 3000, sender_key=key,
                sender_certificate=certificate, ca_certificates=chain, creation_date=created,
                ttl=3600, hash_name=hash_name, encoding=encoding)
            path = tmp_path / f"{kind.name}-{bits}-{hash_name}-{encoding}.ramf"
            path.write_bytes(raw)
            message = parse_message(raw)
            expected[str(path)] = {
                "ok": True, "id": message.id, "recipientId": root.node_id,
                "internetAddress": "gateway.example", "creationDate": _iso(created),
                "ttl": 3600, "senderId": certificate.node_id, "payloadSize": 3000,
                "caCertificates": len(chain)}
    verdicts = _official_verdicts([Path(p) for p in expected])
    for name, fields in expected.items():
        verdict = verdicts[name]
        assert verdict["ok"], (name, verdict)
        assert {k: verdict[k] for k in fields} == fields, name


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(data=st.data())
def test_the_cms_paths_agree_on_mutations_of_the_js_vectors(
    official: tuple[Path, dict[str, object]], data: st.DataObject,
) -> None:
    """Messages the official JS library made, mutated: one verdict and reason on every path."""
    check_cms_of_messages(vector_messages(official), data)


def test_the_cms_paths_agree_on_every_flipped_octet_of_a_js_vector(
    official: tuple[Path, dict[str, object]],
) -> None:
    messages = sorted(vector_messages(official), key=len)
    check_every_flipped_octet(messages[len(messages) // 2][7:], 0xFF)
