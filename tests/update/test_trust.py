"""The device tells which update CA it trusts, loudly when it is the build's throwaway test CA."""

import json
from pathlib import Path

import pytest

from courier.cli import main
from courier.store import FileStore
from courier.update import trust


def _etc(tmp_path: Path, *, ca: bool, test: bool) -> Path:
    etc = tmp_path / "rauc"
    etc.mkdir()
    if ca:
        (etc / "ca.cert.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    if test:
        (etc / trust.TEST_MARKER).write_text("test CA\n")
    return etc


@pytest.mark.parametrize(("ca", "test", "kind"), [
    (True, False, "organisation"), (True, True, "test"), (False, False, "none"),
    (False, True, "none"),
])
def test_the_kind_of_update_ca(tmp_path: Path, ca: bool, test: bool, kind: str) -> None:
    assert trust.update_ca(_etc(tmp_path, ca=ca, test=test)) == kind


def test_status_reports_a_test_ca_loudly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(trust, "RAUC_DIR", _etc(tmp_path, ca=True, test=True))
    data = tmp_path / "data"
    assert main(["init", "--config", "/nonexistent", "--data-dir", str(data)]) == 0
    FileStore.open(data).close()
    capsys.readouterr()
    assert main(["status", "--json", "--config", "/nonexistent", "--data-dir", str(data)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["update_ca"] == "test"
    assert report["version"] == trust.running_version() != "unknown"
    assert main(["status", "--config", "/nonexistent", "--data-dir", str(data)]) == 0
    assert "WARNING, trusts a throwaway TEST CA" in capsys.readouterr().out


def test_status_names_the_organisation_ca(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(trust, "RAUC_DIR", _etc(tmp_path, ca=True, test=False))
    data = tmp_path / "data"
    assert main(["init", "--config", "/nonexistent", "--data-dir", str(data)]) == 0
    FileStore.open(data).close()
    capsys.readouterr()
    assert main(["status", "--config", "/nonexistent", "--data-dir", str(data)]) == 0
    out = capsys.readouterr().out
    assert "organisation's update CA" in out and "TEST" not in out
