"""Room on the card: expired objects reclaimed, disk use counted, ENOSPC is "full", CCAs capped."""

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from courier.store import CargoStore, Direction, FileStore, Kind, ObjectMeta, StoreFullError
from courier.store.fsio import DurableIO, Fill
from courier.store.policy import CCAS_PER_ADDRESS, CCAS_PER_SENDER, allocated
from tests.store.conftest import NOW, MiB, make_store, meta

SOON = NOW + timedelta(minutes=5)


def cca(sender: str, number: int, address: str = "g.example",
        hours: int = 0) -> tuple[ObjectMeta, bytes]:
    """Return (metadata, bytes) of a CCA from `sender`, newer with `hours`."""
    return (meta(kind=Kind.CCA, direction=Direction.TO_INTERNET, address=address, sender=sender,
                 message_id=f"cca-{sender}-{address}-{number}",
                 expiry=NOW + timedelta(days=14, hours=hours)), b"c" * 4000)


def test_expired_cargo_frees_its_quota(tmp_path: Path) -> None:
    store = make_store("file", tmp_path, quota=32 * MiB, reserve=4 * MiB, per_sender=1.0)
    assert isinstance(store, FileStore)
    for i in range(7):
        store.put(meta(message_id=f"short{i}", expiry=SOON), b"s" * (4 * MiB - 8192))
    with pytest.raises(StoreFullError):
        store.put(meta(message_id="late"), b"l" * MiB)
    assert store.gc(NOW) == 0  # nothing has expired yet
    assert store.gc(SOON + timedelta(seconds=1)) == 7
    assert store.stats().bytes == 0 and not any(store.objects.iterdir())
    store.put(meta(message_id="late"), b"l" * MiB)
    store.close()


def test_a_put_refused_as_full_first_reclaims_at_the_trusted_time(tmp_path: Path) -> None:
    store = make_store("file", tmp_path, quota=32 * MiB, reserve=4 * MiB, per_sender=1.0)
    assert isinstance(store, FileStore)
    for i in range(7):
        store.put(meta(message_id=f"short{i}", expiry=SOON), b"s" * (4 * MiB - 8192))
    store.reclaim_clock = lambda: NOW  # nothing expired at the trusted time: still full
    with pytest.raises(StoreFullError):
        store.put(meta(message_id="late"), b"l" * MiB)
    store.reclaim_clock = lambda: SOON + timedelta(hours=1)
    late = store.put(meta(message_id="late"), b"l" * MiB)
    assert store.get(late.ref) == b"l" * MiB
    assert store.stats().cargo_to_private == 1
    store.close()


def test_reclaiming_many_objects_takes_few_transactions(tmp_path: Path) -> None:
    store = make_store("file", tmp_path, quota=1 << 40, per_sender=1.0)
    assert isinstance(store, FileStore)
    store.put_many([(meta(message_id=f"m{i}", expiry=SOON), b"x") for i in range(12_000)])
    store.put(meta(message_id="keep"), b"k")
    assert store.gc(SOON + timedelta(seconds=1)) == 12_000
    assert [o.meta.message_id for o in store.select_for_recipient("0aa", NOW)] == ["keep"]
    assert len(list(store.objects.iterdir())) == 1
    store.close()


def test_usage_counts_whole_blocks_and_index_rows(tmp_path: Path) -> None:
    store = make_store("file", tmp_path, quota=1 << 40, per_sender=1.0)
    store.put(meta(message_id="small"), b"x" * 4096)  # 4096 + tag: two blocks
    store.put(meta(message_id="big"), b"x" * MiB)
    expected = 8192 + 1024 + MiB + 4096 + 1024
    assert store.stats().bytes == allocated(4096) + allocated(MiB) == expected
    store.close()


class FullCard(DurableIO):
    """A filesystem that answers ENOSPC to object writes once armed."""

    armed = False

    def write_unsynced(self, path: Path, size: int, fill: Fill) -> bool:
        if self.armed:
            with open(path, "wb") as half:  # a partial file, as a real ENOSPC leaves
                half.write(b"\0" * 100)
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write_unsynced(path, size, fill)


def test_enospc_is_full_and_leaves_nothing(tmp_path: Path) -> None:
    io = FullCard()
    store = FileStore.open(tmp_path, io=io, quota_bytes=1 << 30)
    kept = store.put(meta(message_id="before"), b"b" * 1000)
    io.armed = True
    outcomes = store.put_many([(meta(message_id="x"), b"x" * 1000)])
    assert isinstance(outcomes[0], StoreFullError)
    assert list(store.temp.iterdir()) == []
    assert store.get(kept.ref) == b"b" * 1000
    store.close()


@pytest.fixture
def tiny_card(tmp_path: Path) -> Iterator[Path]:
    """A real 48 MiB ext4 filesystem on a loop device (root), else a tmpfs, else skip."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mount = tmp_path / "card"
    mount.mkdir()
    image = tmp_path / "card.img"
    if shutil.which("mkfs.ext4"):
        with image.open("wb") as out:
            out.truncate(48 * MiB)
        subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], check=True, timeout=60)
        command = ["mount", "-o", "loop", str(image), str(mount)]
    else:
        command = ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)]
    if subprocess.run(command, capture_output=True, timeout=60, check=False).returncode != 0:
        command = ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)]
        subprocess.run(command, check=True, timeout=60)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True, timeout=60)
        with contextlib.suppress(FileNotFoundError):
            image.unlink()


@pytest.mark.parametrize("size", [4096, 256 * 1024 + 5])
def test_a_tiny_card_says_full_before_enospc_and_still_takes_a_cca(tiny_card: Path,
                                                                  size: int) -> None:
    # The quota says 1 GiB: only the card's own free space can stop the writes.
    store = FileStore.open(tiny_card, quota_bytes=1 << 30, cca_reserve_bytes=4 * MiB,
                           per_sender_fraction=1.0)
    stored: dict[str, bytes] = {}
    number = 0
    while True:
        data = number.to_bytes(4, "big") * (size // 4)
        outcome = store.put_many([(meta(message_id=f"m{number}"), data)])[0]
        if isinstance(outcome, StoreFullError):
            break
        assert not isinstance(outcome, Exception), outcome
        stored[outcome.ref] = data
        number += 1
    assert len(stored) > 100 if size == 4096 else len(stored) > 20
    # The CCA reserve is left: a gateway can still hand over a CCA to collect its cargo.
    assert not isinstance(store.put_many([cca("0ab", 1)])[0], Exception)
    for ref, data in stored.items():
        assert store.get(ref) == data
    info = os.statvfs(tiny_card)
    assert info.f_bavail * info.f_frsize > 4 * MiB  # the headroom was never eaten
    store.close()


def test_one_key_keeps_few_ccas(store: CargoStore) -> None:
    for number in range(40):
        store.put(*cca("0f1", number, hours=number))
    kept = store.select_for_address("g.example", NOW, Kind.CCA)
    assert len(kept) == CCAS_PER_ADDRESS
    assert sorted(o.meta.message_id for o in kept) == [
        f"cca-0f1-g.example-{n}" for n in (37, 38, 39)]  # the newest
    for number in range(40):  # made-up addresses: the sender's cap holds across them
        store.put(*cca("0f1", number, address=f"a{number}.example"))
    assert store.stats().ccas == CCAS_PER_SENDER


def test_a_cca_flood_from_one_key_pushes_out_nobody_else(store: CargoStore) -> None:
    mine = store.put(*cca("0aa", 1))
    for number in range(300):
        store.put(*cca(f"0f{number % 3}", number, address=f"a{number}.example"))
    assert mine.ref in {o.ref for o in store.select_for_address("g.example", NOW, Kind.CCA)}


def test_a_full_reserve_makes_room_from_the_biggest_holder(tmp_path: Path) -> None:
    store = make_store("file", tmp_path, quota=4 * MiB, reserve=1 * MiB, per_sender=1.0)
    senders = [f"0{n:03x}" for n in range(400)]
    for number, sender in enumerate(senders):  # many keys, two CCAs each: 4 MiB of CCAs
        for copy in range(2):
            store.put_many([cca(sender, copy, address=f"a{number}.example")])
    assert store.stats().bytes <= 4 * MiB
    outcome = store.put_many([cca("0abc", 1)])[0]
    assert not isinstance(outcome, Exception)
    store.close()


def test_a_store_from_before_counts_real_bytes_after_its_first_open(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, quota_bytes=1 << 30)
    store.put(meta(message_id="a"), b"x" * 10)
    store.put(meta(message_id="b"), b"x" * 5000)
    db = store._db  # make it look like a store of the previous version: sizes, old triggers
    db.executescript("""
        DROP TRIGGER usage_add_allocated; DROP TRIGGER usage_remove_allocated;
        DELETE FROM settings WHERE name = 'accounting';
        DELETE FROM usage; INSERT INTO usage VALUES (X'', 5010);
        CREATE TRIGGER usage_add AFTER INSERT ON objects BEGIN
            UPDATE usage SET bytes = bytes + NEW.size WHERE sender_h = X''; END;
    """)
    store.close()
    store = FileStore.open(tmp_path, quota_bytes=1 << 30)
    assert store.stats().bytes == allocated(10) + allocated(5000)
    store.put(meta(message_id="c"), b"x")
    assert store.stats().bytes == allocated(10) + allocated(5000) + allocated(1)  # counted once
    store.close()
