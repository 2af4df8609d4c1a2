"""CI's guard against silent skips: with COURIER_REFUSE_SKIPS=1 a skip fails the run unless allowed.

The allowed reasons are in tests/skip-allowlist.txt (a substring of the reason per line, and why;
COURIER_SKIP_ALLOWLIST=PATH reads another file). COURIER_SKIP_REPORT=PATH appends every skip to
PATH (allowed or refused, node id, reason).
"""

import os
from pathlib import Path

import pytest

ALLOWLIST = Path(__file__).with_name("skip-allowlist.txt")
_skips: list[tuple[str, str]] = []


def allowed_reasons(text: str) -> list[str]:
    """Return the allow-list's entries: each line up to its '#' comment, blank lines ignored."""
    entries = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [entry for entry in entries if entry]


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember a skipped test (xfail is not a skip)."""
    if report.skipped and not hasattr(report, "wasxfail"):
        _skips.append((report.nodeid, _reason(report)))


def pytest_collectreport(report: pytest.CollectReport) -> None:
    """Remember a module skipped whole at collection."""
    if report.skipped:
        _skips.append((report.nodeid, _reason(report)))


def refused_skips() -> list[tuple[str, str]]:
    """Return the skips whose reason no allow-list entry covers."""
    path = Path(os.environ.get("COURIER_SKIP_ALLOWLIST", ALLOWLIST))
    allowed = allowed_reasons(path.read_text())
    return [(node, reason) for node, reason in _skips
            if not any(entry in reason for entry in allowed)]


def _refusing() -> bool:
    return os.environ.get("COURIER_REFUSE_SKIPS") == "1"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the skips to the report file; fail the run on a refused one when asked to."""
    refused = refused_skips()
    report = os.environ.get("COURIER_SKIP_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as out:
            for node, reason in _skips:
                verdict = "refused" if (node, reason) in refused else "allowed"
                out.write(f"{verdict}\t{node}\t{reason}\n")
    if _refusing() and refused and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the refused skips at the end of the run."""
    refused = refused_skips()
    if not _refusing() or not refused:
        return
    terminalreporter.section("skips refused (COURIER_REFUSE_SKIPS=1)", red=True)
    for node, reason in refused:
        terminalreporter.line(f"{node}: {reason}")
    terminalreporter.line(f"allow a reason only with a comment saying why: {ALLOWLIST}")
