"""One contract, two implementations: FileStore and MemoryStore behave the same."""

import threading
from datetime import timedelta

import pytest

from courier.store import (
    CargoStore,
    Direction,
    Kind,
    ObjectNotFoundError,
    StoreFullError,
)
from tests.store.conftest import NOW, MiB, meta

SIX = 6 * MiB - 8192  # an object taking exactly 6 MiB on the card


def test_put_get_delete_round_trip(store: CargoStore) -> None:
    result = store.put(meta(), b"cargo bytes")
    assert not result.duplicate
    assert store.get(result.ref) == b"cargo bytes"
    assert store.delete(result.ref) is True
    assert store.delete(result.ref) is False
    with pytest.raises(ObjectNotFoundError):
        store.get(result.ref)


def test_same_sender_and_message_id_is_stored_once(store: CargoStore) -> None:
    first = store.put(meta(message_id="x"), b"one")
    again = store.put(meta(message_id="x"), b"one")
    other_sender = store.put(meta(message_id="x", sender="0cc"), b"two")
    assert again.duplicate and again.ref == first.ref
    assert not other_sender.duplicate
    assert store.stats().cargo_to_private == 2


def test_selection_by_recipient_in_expiry_order_without_expired(store: CargoStore) -> None:
    late = store.put(meta(message_id="late", expiry=NOW + timedelta(days=3)), b"l").ref
    soon = store.put(meta(message_id="soon", expiry=NOW + timedelta(hours=1)), b"s").ref
    store.put(meta(message_id="gone", expiry=NOW - timedelta(seconds=1)), b"g")
    store.put(meta(message_id="other", recipient="0dd"), b"o")
    store.put(meta(message_id="out", direction=Direction.TO_INTERNET, address="gw.example"), b"i")
    chosen = store.select_for_recipient("0aa", NOW)
    assert [o.ref for o in chosen] == [soon, late]
    assert chosen[0].meta.message_id == "soon"


def test_expired_is_never_selected_even_before_gc(store: CargoStore) -> None:
    store.put(meta(message_id="edge", expiry=NOW), b"e")
    assert len(store.select_for_recipient("0aa", NOW)) == 1
    assert store.select_for_recipient("0aa", NOW + timedelta(milliseconds=1)) == []
    assert store.gc(NOW + timedelta(seconds=1)) == 1
    assert store.stats().cargo_to_private == 0


def test_selection_by_internet_address_and_kind(store: CargoStore) -> None:
    cargo = store.put(meta(direction=Direction.TO_INTERNET, address="a.example",
                           message_id="c"), b"c").ref
    cca = store.put(meta(kind=Kind.CCA, direction=Direction.TO_INTERNET, address="a.example",
                         message_id="k"), b"k").ref
    store.put(meta(direction=Direction.TO_INTERNET, address="b.example", message_id="d"), b"d")
    assert [o.ref for o in store.select_for_address("a.example", NOW, Kind.CARGO)] == [cargo]
    assert [o.ref for o in store.select_for_address("a.example", NOW, Kind.CCA)] == [cca]
    assert store.internet_addresses(NOW) == {"a.example", "b.example"}
    assert store.internet_addresses(NOW + timedelta(days=2)) == set()


def test_full_store_refuses_cargo_but_accepts_ccas_and_loses_nothing(store: CargoStore) -> None:
    # quota 64 MiB, reserve 4 MiB, per sender 50%: fill with two senders (each object takes
    # 6 MiB on the card: its blocks and its index row).
    kept = [store.put(meta(sender=f"0{i % 2}", message_id=f"m{i}"), bytes([i]) * SIX).ref
            for i in range(10)]
    with pytest.raises(StoreFullError):
        store.put(meta(sender="0e", message_id="over"), b"x" * MiB)
    cca = store.put(meta(kind=Kind.CCA, direction=Direction.TO_INTERNET, address="g.example",
                         message_id="cca"), b"c" * 4096)
    assert not cca.duplicate
    for i, ref in enumerate(kept):
        assert store.get(ref) == bytes([i]) * SIX
    stats = store.stats()
    assert (stats.cargo_to_private, stats.ccas) == (10, 1)


def test_one_sender_cannot_fill_the_store(store: CargoStore) -> None:
    for i in range(5):
        store.put(meta(sender="0f", message_id=f"m{i}"), b"x" * 6 * MiB)
    with pytest.raises(StoreFullError, match="share"):
        store.put(meta(sender="0f", message_id="m5"), b"x" * 6 * MiB)
    store.put(meta(sender="0e", message_id="m5"), b"x" * 6 * MiB)


def test_a_batch_gives_each_object_its_own_outcome(store: CargoStore) -> None:
    stored = store.put(meta(sender="0a", message_id="before"), b"b" * MiB)
    for i in range(5):  # sender 0f holds 30 of its 32 MiB share
        store.put(meta(sender="0f", message_id=f"f{i}"), b"f" * 6 * MiB)
    outcomes = store.put_many([
        (meta(sender="0a", message_id="new"), b"n" * MiB),
        (meta(sender="0a", message_id="before"), b"b" * MiB),  # stored before the batch
        (meta(sender="0f", message_id="over"), b"o" * 6 * MiB),  # over 0f's share
        (meta(sender="0a", message_id="twice"), b"t" * MiB),
        (meta(sender="0a", message_id="twice"), b"t" * MiB),  # twice in the same batch
    ])
    new, before, over, twice, again = outcomes
    assert not isinstance(new, Exception) and not new.duplicate
    assert store.get(new.ref) == b"n" * MiB
    assert not isinstance(before, Exception) and before.duplicate and before.ref == stored.ref
    assert isinstance(over, StoreFullError)
    assert not isinstance(twice, Exception) and not twice.duplicate
    assert not isinstance(again, Exception) and again.duplicate and again.ref == twice.ref
    assert store.stats().cargo_to_private == 8
    assert store.put_many([]) == []


def test_concurrent_puts_all_land(store: CargoStore) -> None:
    refs: list[str] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        for i in range(20):
            ref = store.put(meta(message_id=f"{n}-{i}", sender=f"0{n}"), f"{n}-{i}".encode()).ref
            with lock:
                refs.append(ref)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(refs)) == 160
    assert store.stats().cargo_to_private == 160
    assert sorted(store.get(r) for r in refs) == sorted(
        f"{n}-{i}".encode() for n in range(8) for i in range(20))


def test_stats_count_by_kind_and_direction(store: CargoStore) -> None:
    store.put(meta(message_id="a"), b"12345")
    store.put(meta(message_id="b", direction=Direction.TO_INTERNET, address="g.example"), b"1")
    store.put(meta(message_id="c", kind=Kind.CCA, direction=Direction.TO_INTERNET,
                   address="g.example"), b"12")
    stats = store.stats()
    assert (stats.cargo_to_private, stats.cargo_to_internet, stats.ccas, stats.payload_bytes) == \
        (1, 1, 1, 8)
    assert stats.bytes == 3 * (4096 + 1024)  # a block and an index row each, on the card
