"""CCAs kept for a retry, persisted by store reference (read and written on worker threads)."""

import json
import os
from datetime import datetime
from pathlib import Path

from courier.sync.internet import Retry


class RetryBook:
    """The retry schedule of kept CCAs, in <state dir>/cca-retry.json."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = json.loads(path.read_text())
            self.entries = {ref: Retry(int(v["failures"]), datetime.fromisoformat(v["next"]))
                            for ref, v in raw.items()}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            self.entries = {}  # missing or damaged: every CCA is due, which is safe

    def save(self) -> None:
        """Write the book atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps({ref: {"failures": r.failures,
                                          "next": r.next_attempt.isoformat()}
                                    for ref, r in self.entries.items()}))
        os.replace(temp, self.path)
