"""100 000 objects: reconciliation at open and selection stay correct (timings: bench/store)."""

from pathlib import Path

import pytest

from bench.bench_store import NOW, _populate
from courier.store import FileStore


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_hundred_thousand_objects_open_and_select(tmp_path: Path) -> None:
    _populate(tmp_path, 100_000)
    (tmp_path / "store" / "objects" / "stray").write_bytes(b"orphan")
    store = FileStore.open(tmp_path, quota_bytes=1 << 40)
    try:
        assert store.recovery_report["orphan_files"] == 1
        assert store.stats().cargo_to_private == 100_000
        found = store.select_for_recipient("0007", NOW)
        assert len(found) == 100
        assert [o.meta.expiry for o in found] == sorted(o.meta.expiry for o in found)
        assert all(o.meta.recipient_id == "0007" for o in found)
        assert store.get(found[0].ref) == b"x" * 100
    finally:
        store.close()
