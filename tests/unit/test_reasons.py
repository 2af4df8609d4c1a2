"""docs/reasons.md is made from the Reason enum: `python -m tests.unit.test_reasons` writes it."""

import re
import sys

from courier.reasons import DATE_REASONS, Reason
from tests.conftest import REPO

DOC = REPO / "docs" / "reasons.md"


def render() -> str:
    """Return docs/reasons.md as the enum makes it."""
    lines = [
        "# Refusal reasons",
        "",
        "Generated from `courier.reasons.Reason` by `python -m tests.unit.test_reasons`; a test",
        "fails when this file is stale. Each is what `inspect`, the logs and the CogRPC counters",
        "say; the counters also write `cca_<reason>` (the CCA was refused) and `unsure_<reason>`",
        "(a date fault while our clock is untrusted: not acked, the gateway offers it again).",
        "",
        "| reason | name | a date fault |",
        "|---|---|---|",
    ]
    lines += [f"| `{r.value}` | `{r.name}` | {'yes' if r in DATE_REASONS else ''} |"
              for r in Reason]
    return "\n".join(lines) + "\n"


def test_the_reasons_doc_is_made_from_the_enum() -> None:
    assert DOC.read_text() == render(), "stale: run python -m tests.unit.test_reasons"


def test_no_product_module_gives_a_reason_as_a_free_string() -> None:
    values = "|".join(re.escape(r.value) for r in Reason)
    free = re.compile(rf'reject\("|(reason\w*\(|,\s*)"({values})"\)')
    found = [f"{path.relative_to(REPO)}: {m.group(0)}"
             for path in sorted((REPO / "courier").rglob("*.py"))
             for m in free.finditer(path.read_text())]
    assert "getattr(error, \"reason\"" not in "".join(
        p.read_text() for p in (REPO / "courier").rglob("*.py"))
    assert found == []


if __name__ == "__main__":
    DOC.write_text(render())
    sys.stdout.write(f"wrote {DOC}\n")
