"""The store's AEAD: chosen by the CPU when a store is made, then kept for its whole life."""

import os
import sqlite3
from pathlib import Path

import pytest

from courier.errors import StoreError
from courier.store import CorruptObjectError, FileStore
from courier.store.keys import AES_GCM, CHACHA, CIPHERS, StoreKeys, preferred_cipher
from tests.store.conftest import NOW, meta

X86_AES = "processor\t: 0\nflags\t\t: fpu sse2 pclmulqdq ssse3 aes avx2 sha_ni\n"
X86_NO_AES = "processor\t: 0\nflags\t\t: fpu sse2 ssse3 avx2\n"
PI4 = "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
PI5 = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics\n"


@pytest.mark.parametrize(("cpuinfo", "expected"), [
    (X86_AES, AES_GCM), (X86_NO_AES, CHACHA), (PI4, CHACHA), (PI5, AES_GCM), ("", CHACHA),
    ("flags: aes\n", CHACHA),  # AES without carry-less multiply: GCM would be slow
])
def test_the_cipher_follows_the_cpu(cpuinfo: str, expected: str) -> None:
    assert preferred_cipher(cpuinfo) == expected


@pytest.mark.parametrize(("hwcap", "expected"), [
    (0b11111011, AES_GCM),  # fp asimd evtstrm aes pmull sha1 sha2 crc32: a Pi 5
    (0b10000111, CHACHA),  # fp asimd evtstrm crc32, no aes: a Pi 4
    (0b00001011, CHACHA),  # aes without pmull
])
def test_on_arm64_the_cipher_follows_the_kernels_hwcap(hwcap: int, expected: str) -> None:
    assert preferred_cipher(hwcap=hwcap) == expected


def test_this_machine_gets_a_cipher_without_reading_anything_given() -> None:
    assert preferred_cipher() in CIPHERS


@pytest.mark.parametrize("cipher", sorted(CIPHERS))
def test_each_cipher_seals_opens_and_refuses_tampering(cipher: str) -> None:
    keys = StoreKeys.from_master(os.urandom(32)).sealing_with(cipher)
    plaintext = os.urandom(5000)
    sealed = keys.seal("ref1", b"data", plaintext)
    out = bytearray(len(sealed))
    keys.seal_into("ref1", b"data", plaintext, memoryview(out))
    assert bytes(out) == sealed
    assert keys.open("ref1", b"data", sealed) == plaintext
    other = AES_GCM if cipher == CHACHA else CHACHA
    for wrong in (keys.sealing_with(other), StoreKeys.from_master(os.urandom(32))):
        with pytest.raises(CorruptObjectError):
            wrong.open("ref1", b"data", sealed)
    with pytest.raises(CorruptObjectError):
        keys.open("ref2", b"data", sealed)  # a file moved under another ref
    with pytest.raises(ValueError, match="unknown cipher"):
        keys.sealing_with("rot13")


def test_a_new_store_keeps_the_cipher_it_was_made_with(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, quota_bytes=1 << 30, cipher=CHACHA)
    ref = store.put(meta(message_id="a"), b"kept").ref
    store.close()
    for asked in (AES_GCM, None):  # a store keeps its cipher whatever the CPU or the caller
        reopened = FileStore.open(tmp_path, quota_bytes=1 << 30, cipher=asked)
        assert reopened.cipher == CHACHA and reopened.get(ref) == b"kept"
        reopened.close()


def test_an_empty_store_gets_the_cipher_of_this_cpu(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, quota_bytes=1 << 30)
    assert store.cipher == preferred_cipher()
    store.close()


def test_a_store_made_before_the_choice_existed_stays_chacha(tmp_path: Path) -> None:
    store = FileStore.open(tmp_path, quota_bytes=1 << 30, cipher=CHACHA)
    ref = store.put(meta(message_id="a"), b"old").ref
    store.close()
    with sqlite3.connect(tmp_path / "store" / "index.sqlite") as database:
        database.execute("DROP TABLE settings")  # as the index of an earlier version
    reopened = FileStore.open(tmp_path, quota_bytes=1 << 30, cipher=AES_GCM)
    assert reopened.cipher == CHACHA
    assert reopened.get(ref) == b"old"
    assert [item.ref for item in reopened.select_for_recipient("0aa", NOW)] == [ref]
    reopened.close()


def test_a_store_sealed_with_an_unknown_cipher_is_refused_clearly(tmp_path: Path) -> None:
    FileStore.open(tmp_path, quota_bytes=1 << 30).close()
    with sqlite3.connect(tmp_path / "store" / "index.sqlite") as database:
        database.execute("UPDATE settings SET value = 'aegis-256' WHERE name = 'cipher'")
    with pytest.raises(StoreError, match="aegis-256"):
        FileStore.open(tmp_path, quota_bytes=1 << 30)
