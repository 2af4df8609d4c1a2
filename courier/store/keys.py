"""The store's key hierarchy: a master key file, subkeys derived with HKDF, sealing with AEAD.

The AEAD is chosen once per store, when it is created: AES-256-GCM where the CPU has AES
instructions (x86-64, the Pi 5), ChaCha20-Poly1305 where it does not (the Pi 4, on which
software AES is several times slower). Stores made before the choice existed are ChaCha.
"""

import ctypes
import hmac
import os
import platform
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from courier.atomic import fsync_dir, write_atomically
from courier.store.model import CorruptObjectError, KeyFileError

KEY_SIZE = 32
SEAL_OVERHEAD = 16  # the authentication tag after the ciphertext (both AEADs)
CHACHA = "chacha20-poly1305"
AES_GCM = "aes-256-gcm"
_AEADS: dict[str, type[AESGCM | ChaCha20Poly1305]] = {CHACHA: ChaCha20Poly1305,
                                                       AES_GCM: AESGCM}
CIPHERS = frozenset(_AEADS)
_AT_HWCAP = 16
_ARM64_HWCAP_AES, _ARM64_HWCAP_PMULL = 1 << 3, 1 << 4  # asm/hwcap.h
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


def preferred_cipher(cpuinfo: str | None = None, hwcap: int | None = None) -> str:
    """Return AES-256-GCM if the CPU has AES and carry-less multiply instructions, else ChaCha.

    On arm64 the kernel's HWCAP says so (readable under the service's ProcSubset=pid, which
    hides /proc/cpuinfo); elsewhere /proc/cpuinfo's flags do. Unknown means ChaCha.
    """
    if cpuinfo is None and hwcap is None and platform.machine() == "aarch64":
        hwcap = _getauxval(_AT_HWCAP)
    if hwcap is not None:
        wanted = _ARM64_HWCAP_AES | _ARM64_HWCAP_PMULL
        return AES_GCM if hwcap & wanted == wanted else CHACHA
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return CHACHA
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        words = set(value.split())
        if name.strip() == "flags" and {"aes", "pclmulqdq"} <= words:  # x86
            return AES_GCM
        if name.strip() == "Features" and {"aes", "pmull"} <= words:  # arm64
            return AES_GCM
    return CHACHA


def _getauxval(kind: int) -> int | None:
    """Return the auxiliary vector entry, or None where libc cannot tell."""
    try:
        function = ctypes.CDLL(None).getauxval
    except (OSError, AttributeError):
        return None
    function.restype, function.argtypes = ctypes.c_ulong, [ctypes.c_ulong]
    return int(function(kind))


def _derive(master: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None,
                info=b"courier store v1 " + label).derive(master)


@dataclass(frozen=True)
class StoreKeys:
    """Subkeys: one for lookup hashes, one from which each object's sealing key is derived."""

    lookup: bytes
    objects: bytes
    cipher: str = CHACHA

    @classmethod
    def from_master(cls, master: bytes) -> "StoreKeys":
        """Derive the subkeys from the master key."""
        return cls(lookup=_derive(master, b"lookup"), objects=_derive(master, b"objects"))

    def lookup_hash(self, *parts: str) -> bytes:
        """Return a keyed hash of identifiers, for lookups that reveal nothing on disk."""
        message = b"\x00".join(part.encode() for part in parts)
        return hmac.digest(self.lookup, message, "sha256")

    def sealing_with(self, cipher: str) -> "StoreKeys":
        """Return the same keys sealing with `cipher` (one of CIPHERS)."""
        if cipher not in _AEADS:
            raise ValueError(f"unknown cipher {cipher!r}")
        return replace(self, cipher=cipher)

    def _object_key(self, ref: str, purpose: bytes) -> AESGCM | ChaCha20Poly1305:
        key = hmac.digest(self.objects, purpose + b"\x00" + ref.encode(), "sha256")
        return _AEADS[self.cipher](key)

    def seal(self, ref: str, purpose: bytes, plaintext: bytes) -> bytes:
        """Encrypt under a key unique to (ref, purpose), binding the ref as associated data."""
        return self._object_key(ref, purpose).encrypt(_NONCE, plaintext, ref.encode())

    def seal_into(self, ref: str, purpose: bytes, plaintext: bytes | memoryview,
                  out: memoryview) -> None:
        """Seal as `seal` does, into `out` (exactly `len(plaintext) + SEAL_OVERHEAD` bytes)."""
        self._object_key(ref, purpose).encrypt_into(_NONCE, plaintext, ref.encode(), out)

    def open(self, ref: str, purpose: bytes, sealed: bytes) -> bytes:
        """Decrypt and authenticate, or raise CorruptObjectError."""
        try:
            return self._object_key(ref, purpose).decrypt(_NONCE, sealed, ref.encode())
        except InvalidTag as error:
            raise CorruptObjectError(f"object {ref} failed its integrity check") from error
