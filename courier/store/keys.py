"""The store's key hierarchy: a master key file, subkeys derived with HKDF, sealing with AEAD."""

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from courier.atomic import fsync_dir, write_atomically
from courier.store.model import CorruptObjectError, KeyFileError

KEY_SIZE = 32
SEAL_OVERHEAD = 16  # the Poly1305 tag after the ciphertext
_NONCE = bytes(12)  # every object is sealed under its own derived key, so a fixed nonce is safe


def key_path(data_dir: Path) -> Path:
    """Return where the master key lives."""
    return Path(data_dir) / "keys" / "store.key"


def ensure_master_key(data_dir: Path) -> None:
    """Create the master key (0600 in a 0700 directory) if it does not exist; idempotent."""
    path = key_path(data_dir)
    if path.exists():
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, secrets.token_bytes(KEY_SIZE))


def load_master_key(data_dir: Path) -> bytes:
    """Read the master key or raise KeyFileError saying what to do."""
    path = key_path(data_dir)
    try:
        key = path.read_bytes()
    except FileNotFoundError as error:
        raise KeyFileError(f"no store key at {path}: run `courier init`") from error
    except OSError as error:
        raise KeyFileError(f"cannot read the store key at {path}: {error.strerror}") from error
    if len(key) != KEY_SIZE:
        raise KeyFileError(f"the store key at {path} is not {KEY_SIZE} bytes")
    return key


def destroy_master_key(data_dir: Path) -> None:
    """Overwrite the key with random bytes, sync, and unlink it (crypto-erase)."""
    path = key_path(data_dir)
    try:
        fd = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        os.write(fd, secrets.token_bytes(KEY_SIZE))
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
    fsync_dir(path.parent)


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None,
                info=b"courier store v1 " + label).derive(master)


@dataclass(frozen=True)
class StoreKeys:
    """Subkeys: one for lookup hashes, one from which each object's sealing key is derived."""

    lookup: bytes
    objects: bytes

    @classmethod
    def from_master(cls, master: bytes) -> "StoreKeys":
        """Derive the subkeys from the master key."""
        return cls(lookup=_derive(master, b"lookup"), objects=_derive(master, b"objects"))

    def lookup_hash(self, *parts: str) -> bytes:
        """Return a keyed hash of identifiers, for lookups that reveal nothing on disk."""
        message = b"\x00".join(part.encode() for part in parts)
        return hmac.new(self.lookup, message, hashlib.sha256).digest()

    def _object_key(self, ref: str, purpose: bytes) -> ChaCha20Poly1305:
        key = hmac.new(self.objects, purpose + b"\x00" + ref.encode(), hashlib.sha256).digest()
        return ChaCha20Poly1305(key)

    def seal(self, ref: str, purpose: bytes, plaintext: bytes) -> bytes:
        """Encrypt under a key unique to (ref, purpose), binding the ref as associated data."""
        return self._object_key(ref, purpose).encrypt(_NONCE, plaintext, ref.encode())

    def seal_into(self, ref: str, purpose: bytes, plaintext: bytes, out: memoryview) -> None:
        """Seal as `seal` does, into `out` (exactly `len(plaintext) + SEAL_OVERHEAD` bytes)."""
        self._object_key(ref, purpose).encrypt_into(_NONCE, plaintext, ref.encode(), out)

    def open(self, ref: str, purpose: bytes, sealed: bytes) -> bytes:
        """Decrypt and authenticate, or raise CorruptObjectError."""
        try:
            return self._object_key(ref, purpose).decrypt(_NONCE, sealed, ref.encode())
        except InvalidTag as error:
            raise CorruptObjectError(f"object {ref} failed its integrity check") from error
