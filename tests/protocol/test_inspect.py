"""`courier inspect` through the real command line."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from courier.cli import main
from courier.protocol import MessageType, Recipient
from tests.conftest import REPO
from tests.protocol.conftest import GATEWAY_ADDRESS, NOW, MessageFactory, Pki


def inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["inspect", *args])
    return code, json.loads(capsys.readouterr().out)


def test_valid_cargo(tmp_path: Path, make_message: MessageFactory, pki: Pki,
                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cargo"
    path.write_bytes(make_message(encoding="js"))
    code, report = inspect(capsys, str(path), "--now", NOW.isoformat(), "--bound", "internet")
    assert code == 0
    assert report["valid"] is True
    assert report["type"] == "cargo"
    assert report["id"] == "a1b2c3d4-e5f6-4789-abcd-0123456789ab"
    assert report["recipient_id"] == pki.gateway_cert.node_id
    assert report["recipient_internet_address"] == GATEWAY_ADDRESS
    assert report["creation_date"] == (NOW - timedelta(minutes=90)).isoformat()
    assert report["ttl"] == 86_400
    assert report["expiry_date"] == (NOW + timedelta(hours=22, minutes=30)).isoformat()
    assert report["sender_id"] == pki.private_cert.node_id
    assert report["payload_size"] == len(b"encrypted parcels")


def test_invalid_cca(tmp_path: Path, make_message: MessageFactory,
                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cca"
    path.write_bytes(make_message(message_type=MessageType.CCA, encoding="jvm"))
    later = (NOW + timedelta(days=2)).isoformat()
    code, report = inspect(capsys, str(path), "--now", later)
    assert code == 1
    assert report["type"] == "cca"
    assert report["valid"] is False
    assert report["reason"] == "expired"


def test_bound_mismatch_is_invalid(tmp_path: Path, make_message: MessageFactory, pki: Pki,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cargo"
    path.write_bytes(make_message(recipient=Recipient(pki.gateway_cert.node_id)))
    code, report = inspect(capsys, str(path), "--now", NOW.isoformat(), "--bound", "internet")
    assert (code, report["reason"]) == (1, "not_internet_bound")


def test_bad_signature_is_invalid(tmp_path: Path, make_message: MessageFactory,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(make_message())
    data[-1] ^= 0xFF
    path = tmp_path / "cargo"
    path.write_bytes(bytes(data))
    code, report = inspect(capsys, str(path))
    assert (code, report["valid"], report["reason"]) == (1, False, "bad_signature")


def test_malformed_and_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "junk"
    path.write_bytes(b"Relaynet\x43\x00junk")
    code, report = inspect(capsys, str(path))
    assert (code, report["error"], report["reason"]) == (2, "malformed", "obsolete_format")
    assert main(["inspect", str(tmp_path / "absent")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bad_now_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["inspect", str(tmp_path), "--now", "yesterday"])
    assert caught.value.code == 2
    assert "ISO-8601" in capsys.readouterr().err


def test_subprocess(tmp_path: Path, make_message: MessageFactory) -> None:
    path = tmp_path / "cargo"
    path.write_bytes(make_message())
    result = subprocess.run(
        [sys.executable, "-m", "courier", "inspect", str(path), "--now", "2030-06-01T12:00:00"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["valid"] is True
