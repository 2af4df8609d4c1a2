"""CI's skip guard on a real inner pytest run: a skip fails it unless its reason is allow-listed."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.skip_guard import ALLOWLIST, allowed_reasons

pytestmark = pytest.mark.timeout(60)
INNER = '''
import pytest

def test_passes() -> None:
    pass

def test_skips() -> None:
    pytest.skip("no image at /nowhere: build one")

@pytest.mark.xfail(strict=True)
def test_expected_failure() -> None:
    assert False
'''


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_inner.py").write_text(INNER)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COURIER_")}
    environment.update(env, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.skip_guard", "-p",
         "no:cacheprovider", "-c", os.devnull, "--rootdir", str(tmp_path),
         str(tmp_path / "test_inner.py")],
        check=False, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=50)


def test_a_skip_passes_without_the_guard(tmp_path: Path) -> None:
    assert _run(tmp_path).returncode == 0


def test_the_guard_fails_the_run_on_a_skip_and_names_it(tmp_path: Path) -> None:
    report = tmp_path / "skips.tsv"
    run = _run(tmp_path, COURIER_REFUSE_SKIPS="1", COURIER_SKIP_REPORT=str(report))
    assert run.returncode == 1, run.stdout
    assert "test_inner.py::test_skips: no image at /nowhere: build one" in run.stdout
    assert report.read_text() == (
        "refused\ttest_inner.py::test_skips\tno image at /nowhere: build one\n")


def test_an_allow_listed_reason_passes_and_xfail_is_not_a_skip(tmp_path: Path) -> None:
    allowlist = tmp_path / "allow.txt"
    allowlist.write_text("# comment only line\nno image at   # why: a test of the guard\n")
    run = _run(tmp_path, COURIER_REFUSE_SKIPS="1", COURIER_SKIP_ALLOWLIST=str(allowlist))
    assert run.returncode == 0, run.stdout


def test_every_entry_of_the_real_allow_list_says_why() -> None:
    lines = [line for line in ALLOWLIST.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert len(allowed_reasons(ALLOWLIST.read_text())) == len(lines) <= 5
    for line in lines:
        assert "#" in line and line.split("#", 1)[1].strip(), f"no reason given: {line!r}"
