"""The protocol package reads no clock: every date it judges by is handed to it."""

import ast

from tests.conftest import REPO

PROTOCOL = REPO / "courier" / "protocol"
# attribute reads of the clock, by the module or class they are read from
CLOCK_READS = {
    "datetime": {"now", "utcnow", "today", "fromtimestamp", "utcfromtimestamp"},
    "date": {"today", "fromtimestamp"},
    "time": {"time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
             "localtime", "gmtime", "ctime", "clock_gettime", "clock_gettime_ns"},
}
CLOCK_MODULES = {"time", "courier.clock", "courier.clock_rtc"}


def clock_reads(source: str) -> list[str]:
    """Return the clock reads (module.attribute, or an imported clock module) of `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            base = node.value
            name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
            if name in CLOCK_READS and node.attr in CLOCK_READS[name]:
                found.append(f"{name}.{node.attr} (line {node.lineno})")
        elif isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if a.name in CLOCK_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module in CLOCK_MODULES:
            found.append(f"from {node.module} import ...")
    return found


def test_no_module_of_the_protocol_package_reads_a_clock() -> None:
    files = sorted(PROTOCOL.rglob("*.py"))
    assert len(files) > 5
    reads = {str(f.relative_to(REPO)): clock_reads(f.read_text()) for f in files}
    assert {k: v for k, v in reads.items() if v} == {}


def test_the_scan_sees_each_way_of_reading_the_clock() -> None:
    for source in ("from datetime import datetime\nx = datetime.now(UTC)",
                   "import datetime\nx = datetime.datetime.utcnow()",
                   "import time\n", "from time import monotonic\n",
                   "from courier.clock import system_now\n", "x = date.today()"):
        assert clock_reads(source), source
    assert clock_reads("x = creation_date + timedelta(seconds=ttl)") == []
