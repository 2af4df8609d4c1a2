"""FileStore on real files: secrecy on disk, crypto-erase, integrity, recovery, processes."""

import errno
import os
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from courier.errors import StoreError
from courier.store import (
    CorruptObjectError,
    Direction,
    FileStore,
    KeyFileError,
    Kind,
    ObjectMeta,
    ObjectNotFoundError,
    read_stats,
)
from courier.store.fsio import DurableIO, Fill
from courier.store.keys import StoreKeys, key_path
from tests.store.conftest import NOW, make_store, meta

SECRETS = {
    "recipient": "0" + "7c" * 32,
    "address": "secret-gateway.example",
    "message_id": "2f1c6e0a-1b9f-4a53-9e9e-5d4c7b1a9f00",
    "sender": "0" + "e4" * 32,
}


def _secret_meta(i: int, direction: Direction = Direction.TO_INTERNET) -> ObjectMeta:
    return meta(direction=direction, recipient=SECRETS["recipient"], sender=SECRETS["sender"],
                address=SECRETS["address"] if direction is Direction.TO_INTERNET else None,
                message_id=f"{SECRETS['message_id']}-{i}")


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


def test_nothing_identifying_is_on_disk_in_the_clear(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path)
    for i in range(5):
        store.put(_secret_meta(i), b"payload-" + SECRETS["address"].encode())
        store.put(_secret_meta(i, Direction.TO_PRIVATE), b"PRIVATE-CARGO")
    store.put(meta(kind=Kind.CCA, direction=Direction.TO_INTERNET, address=SECRETS["address"],
                   sender=SECRETS["sender"], message_id="cca-" + SECRETS["message_id"]), b"c")
    blob = _all_bytes(tmp_path / "store")  # index, WAL, objects
    store.close()
    blob += _all_bytes(tmp_path / "store")
    for value in [*SECRETS.values(), "PRIVATE-CARGO", "payload-"]:
        assert value.encode() not in blob, value
        assert value.encode("utf-16-be") not in blob
    names = " ".join(p.name for p in (tmp_path / "store").rglob("*"))
    assert SECRETS["recipient"][:12] not in names


def test_wipe_destroys_key_first_and_then_everything(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path)
    ref = store.put(_secret_meta(0), b"x" * 100).ref
    sealed = (tmp_path / "store" / "objects" / ref).read_bytes()
    master = key_path(tmp_path).read_bytes()
    cipher = store.cipher
    store.wipe()
    assert not key_path(tmp_path).exists()
    assert not (tmp_path / "store").exists()
    # Even a copy of the sealed file taken before the wipe is useless without the key:
    with pytest.raises(CorruptObjectError):
        StoreKeys.from_master(os.urandom(32)).sealing_with(cipher).open(ref, b"data", sealed)
    keys = StoreKeys.from_master(master).sealing_with(cipher)
    assert keys.open(ref, b"data", sealed) == b"x" * 100
    with pytest.raises(KeyFileError, match="courier init"):
        FileStore.open(tmp_path, create_key=False)


def test_tampered_or_swapped_objects_are_quarantined_never_served(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path)
    first = store.put(meta(message_id="a"), b"A" * 64).ref
    second = store.put(meta(message_id="b"), b"B" * 64).ref
    objects = tmp_path / "store" / "objects"
    flipped = bytearray((objects / first).read_bytes())
    flipped[5] ^= 1
    (objects / first).write_bytes(bytes(flipped))
    with pytest.raises(CorruptObjectError):
        store.get(first)
    assert (tmp_path / "store" / "quarantine" / first).exists()
    with pytest.raises(ObjectNotFoundError):
        store.get(first)
    third = store.put(meta(message_id="c"), b"C" * 64).ref
    os.replace(objects / second, objects / third)  # same size, other object's file
    with pytest.raises(CorruptObjectError):
        store.get(third)
    assert store.stats().quarantined == 2
    store.close()


def test_recovery_removes_temp_and_orphans_and_quarantines_torn_files(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path)
    keep = store.put(meta(message_id="keep"), b"K" * 50).ref
    lost = store.put(meta(message_id="lost"), b"L" * 50).ref
    torn = store.put(meta(message_id="torn"), b"T" * 50).ref
    store.close()
    root = tmp_path / "store"
    (root / "tmp" / "half-written").write_bytes(b"x")
    (root / "objects" / "0123456789abcdef0123456789abcdef").write_bytes(b"orphan")
    (root / "objects" / lost).unlink()
    (root / "objects" / torn).write_bytes((root / "objects" / torn).read_bytes()[:20])
    reopened = FileStore.open(tmp_path)
    assert reopened.recovery_report == {"temp_removed": 1, "orphan_files": 1,
                                        "missing_files": 1, "quarantined": 1}
    assert reopened.get(keep) == b"K" * 50
    assert [o.ref for o in reopened.select_for_recipient("0aa", NOW)] == [keep]
    assert not list((root / "tmp").iterdir())
    reopened.close()


def test_status_reads_counts_without_the_key_while_open(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path)
    store.put(meta(message_id="a"), b"1234")
    store.put(meta(message_id="b", direction=Direction.TO_INTERNET, address="g.example"), b"1")
    key_path(tmp_path).rename(tmp_path / "elsewhere")  # status must not need it
    stats = read_stats(tmp_path)
    assert (stats.cargo_to_private, stats.cargo_to_internet, stats.ccas, stats.payload_bytes) == \
        (1, 1, 0, 5)
    assert stats.bytes == 2 * (4096 + 1024)
    store.close()


def test_from_message_reads_a_real_cargo() -> None:
    from courier.protocol import MessageType, Recipient, parse_message  # noqa: PLC0415
    from courier.testing.issuing import generate_rsa_key, issue_certificate  # noqa: PLC0415
    from courier.testing.serialise import serialize_message  # noqa: PLC0415

    key = generate_rsa_key()
    certificate = issue_certificate(key, is_ca=True)
    raw = serialize_message(MessageType.CARGO, Recipient("0abc", "gw.example"), b"p",
                            sender_key=key, sender_certificate=certificate, ttl=3600)
    message = parse_message(raw)
    got = ObjectMeta.from_message(message, Direction.TO_INTERNET)
    assert (got.kind, got.recipient_id, got.internet_address, got.sender_id) == \
        (Kind.CARGO, "0abc", "gw.example", message.sender_id)
    assert got.message_id == message.id
    assert got.expiry == message.expiry_date
    assert got.size == len(raw)


def test_gc_deletes_files_too(tmp_path: Path) -> None:
    store = make_store("file", tmp_path)
    store.put(meta(message_id="old", expiry=NOW - timedelta(hours=1)), b"o")
    assert store.gc(NOW) == 1
    assert not list((tmp_path / "store" / "objects").iterdir())
    store.close()


class _HeldFlush(DurableIO):
    """Holds the first flush until released, counting flushes."""

    def __init__(self) -> None:
        super().__init__()
        self.flushing = threading.Event()
        self.release = threading.Event()
        self.flushes = 0

    def sync(self, files: Sequence[Path], directories: Sequence[Path]) -> None:
        self.flushes += 1
        if self.flushes == 1:
            self.flushing.set()
            assert self.release.wait(30)
        super().sync(files, directories)


def test_a_put_queued_during_a_round_leads_the_next_round(tmp_path: Path) -> None:
    io = _HeldFlush()
    store = FileStore.open(tmp_path, quota_bytes=1 << 30, io=io)
    first = threading.Thread(target=store.put, args=(meta(message_id="a"), b"a"))
    first.start()
    assert io.flushing.wait(30)  # round one is flushing, with "a" in it
    second = threading.Thread(target=store.put, args=(meta(message_id="b"), b"b"))
    second.start()
    while not store._queue:  # "b" waits for the round in progress
        second.join(0.001)
    io.release.set()
    first.join(30)
    second.join(30)  # woken by the end of round one to lead its own; no wake-up is lost
    assert not first.is_alive() and not second.is_alive()
    assert io.flushes == 2
    assert len(store.select_for_recipient("0aa", NOW)) == 2
    store.close()


class _CountedIO(DurableIO):
    """Counts round flushes, and fails the writes whose number is in `failing`."""

    def __init__(self, failing: Sequence[int] = ()) -> None:
        super().__init__()
        self.rounds = 0
        self.writes = 0
        self.failing = set(failing)

    def write_unsynced(self, path: Path, size: int, fill: Fill) -> bool:
        self.writes += 1
        if self.writes in self.failing:
            path.write_bytes(b"half")  # as a write cut short by a full or failing device
            raise OSError(errno.EIO, "Input/output error")
        return super().write_unsynced(path, size, fill)

    def sync(self, files: Sequence[Path], directories: Sequence[Path]) -> None:
        self.rounds += bool(directories)
        super().sync(files, directories)


def test_a_batch_is_committed_in_one_flush(tmp_path: Path) -> None:
    io = _CountedIO()
    store = FileStore.open(tmp_path, quota_bytes=1 << 30, io=io)
    outcomes = store.put_many([(meta(message_id=str(i)), b"x" * 1000) for i in range(6)])
    assert io.rounds == 1
    assert len({o.ref for o in outcomes if not isinstance(o, Exception)}) == 6
    store.close()


def test_a_failed_write_costs_only_its_object(tmp_path: Path) -> None:
    io = _CountedIO(failing=[2])
    store = FileStore.open(tmp_path, quota_bytes=1 << 30, io=io)
    first, failed, third = store.put_many(
        [(meta(message_id=str(i)), bytes([i]) * 5000) for i in range(3)])
    assert isinstance(failed, StoreError) and "could not store" in str(failed)
    assert not isinstance(first, Exception) and store.get(first.ref) == bytes([0]) * 5000
    assert not isinstance(third, Exception) and store.get(third.ref) == bytes([2]) * 5000
    assert store.stats().cargo_to_private == 2
    assert not list((tmp_path / "store" / "tmp").iterdir())  # the cut-short file is gone
    io.failing.add(io.writes + 1)
    with pytest.raises(StoreError, match="could not store"):  # put raises what it came to
        store.put(meta(message_id="alone"), b"a")
    store.close()
