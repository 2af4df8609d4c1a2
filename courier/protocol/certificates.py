"""Awala certificates (RS-002 as deployed) read with asn1crypto; node ids from the SPKI bytes.

cryptography's `Certificate.extensions` refuses Awala delivery authorizations (JS: pathLen with
cA=FALSE; JVM: DEFAULT cA=FALSE encoded explicitly), so fields and extensions are read with
asn1crypto and cryptography is used only for the public key and signatures (PROTOCOL.md section 3).
"""

import hashlib
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from courier.protocol.ber import NotDerError, check_der
from courier.protocol.errors import InvalidSignatureError, MalformedMessageError
from courier.protocol.signatures import verify_pss
from courier.reasons import Reason

CACHE_SIZE = 256
# Real Awala certificates are 1-2 KB (RSA 2048-4096, a few extensions): anything over this is
# refused before it is parsed, copied or cached.
MAX_CERTIFICATE_SIZE = 16 * 1024
# The cache is bounded in bytes too; an entry costs about its DER twice (the TBS is kept for
# issuance checks) plus the key and Python objects.
CACHE_BYTES = 2 * 1024 * 1024
ENTRY_OVERHEAD = 2048
# An attached certificate's depth in a CMS ContentInfo; a cached certificate is DER and
# well-formed there, so the CMS reader need not walk it again (courier.protocol.cms_der).
CERTIFICATE_DEPTH = 4


def check_certificate_size(size: int) -> None:
    """Refuse a certificate of `size` octets larger than any real Awala certificate."""
    if size > MAX_CERTIFICATE_SIZE:
        raise MalformedMessageError(
            f"certificate of {size} octets is over the {MAX_CERTIFICATE_SIZE} allowed",
            Reason.OVERSIZE_CERTIFICATE)


def node_id_from_spki(spki_der: bytes) -> str:
    """Return the node id: "0" + hex SHA-256 of the DER SubjectPublicKeyInfo (RS-002)."""
    return "0" + hashlib.sha256(spki_der).hexdigest()


class Certificate:
    """An X.509 certificate as Awala uses it; immutable, compared by its DER encoding."""

    __slots__ = ("_issued_by", "_signature", "_signature_algorithm", "_tbs", "der", "is_ca",
                 "issuer_der", "issuer_node_id", "node_id", "not_after", "not_before",
                 "public_key", "serial_number")

    der: bytes
    node_id: str
    issuer_node_id: str | None
    not_before: datetime
    not_after: datetime
    is_ca: bool
    public_key: rsa.RSAPublicKey
    issuer_der: bytes
    serial_number: int
    _tbs: bytes
    _signature: bytes
    _signature_algorithm: bytes
    _issued_by: dict[bytes, bool]

    @classmethod
    def from_der(cls, der: bytes) -> "Certificate":
        """Return the certificate encoded by `der` (cached); raise MalformedMessageError."""
        check_certificate_size(len(der))
        cached = _CACHE.get(der)
        if cached is not None:
            with _CACHE_LOCK:
                if der in _CACHE:
                    _CACHE.move_to_end(der)
            return cached
        der = bytes(der)
        try:
            check_der(der, CERTIFICATE_DEPTH)
        except (MalformedMessageError, NotDerError) as error:
            raise MalformedMessageError("certificate is not DER", Reason.BAD_CERTIFICATE) from error
        certificate = cls._parse(der)
        _remember(certificate)
        return certificate

    @classmethod
    def _parse(cls, der: bytes) -> "Certificate":
        fields: dict[str, Any] = {"der": der, "_issued_by": {}}
        try:
            parsed = asn1_x509.Certificate.load(der, strict=True)
            tbs = parsed["tbs_certificate"]
            spki = tbs["subject_public_key_info"].dump()
            validity = tbs["validity"]
            fields.update(
                _tbs=tbs.dump(), _signature_algorithm=parsed["signature_algorithm"].dump(),
                _signature=parsed["signature_value"].native,
                not_before=validity["not_before"].native, not_after=validity["not_after"].native,
                issuer_der=tbs["issuer"].dump(), serial_number=tbs["serial_number"].native,
                public_key=serialization.load_der_public_key(spki),
                node_id=node_id_from_spki(spki))
            fields["is_ca"], fields["issuer_node_id"] = _read_extensions(tbs["extensions"])
        except Exception as error:  # asn1crypto raises many types on hostile input
            raise MalformedMessageError(f"unreadable certificate: {error}",
                                        Reason.BAD_CERTIFICATE) from error
        if not isinstance(fields["public_key"], rsa.RSAPublicKey):
            raise MalformedMessageError("certificate key is not RSA (RS-018)",
                                        Reason.BAD_CERTIFICATE)
        if not all(isinstance(fields[name], datetime) for name in ("not_before", "not_after")):
            raise MalformedMessageError("certificate validity out of range", Reason.BAD_CERTIFICATE)
        self = cls.__new__(cls)
        for name, value in fields.items():
            object.__setattr__(self, name, value)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Certificate is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Certificate is immutable")

    def is_issued_by(self, issuer: "Certificate") -> bool:
        """Tell whether `issuer`'s key made this certificate's RSA-PSS signature."""
        known: bool | None = self._issued_by.get(issuer.der)
        if known is None:
            try:
                verify_pss(issuer.public_key, self._signature, self._tbs,
                           self._signature_algorithm)
                known = True
            except InvalidSignatureError:
                known = False
            self._issued_by[issuer.der] = known
        return known

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"Certificate(node_id={self.node_id!r}, not_after={self.not_after.isoformat()})"


def _read_extensions(extensions: Any) -> tuple[bool, str | None]:
    """Return (cA flag, issuer node id from the AKI keyIdentifier) from asn1crypto extensions."""
    is_ca = False
    issuer_node_id = None
    for extension in extensions:
        name = extension["extn_id"].native
        if name == "basic_constraints":
            is_ca = bool(extension["extn_value"].parsed["ca"].native)
        elif name == "authority_key_identifier":
            key_id = extension["extn_value"].parsed["key_identifier"].native
            # RS-002: AKI = SHA-256 of the issuer's SPKI, hence "0" + hex(AKI) = issuer node id.
            issuer_node_id = None if key_id is None else "0" + key_id.hex()
    return is_ca, issuer_node_id


def is_cached(der: bytes) -> bool:
    """Tell whether `der` is a certificate already parsed (and hence known to be DER)."""
    return der in _CACHE


def _entry_cost(der: bytes) -> int:
    return 2 * len(der) + ENTRY_OVERHEAD


def _remember(certificate: Certificate) -> None:
    """Cache a parsed certificate, dropping the least recently used beyond the bounds."""
    global _cache_bytes  # noqa: PLW0603 - the cache is module state, guarded by its lock
    with _CACHE_LOCK:
        if certificate.der in _CACHE:
            return
        _CACHE[certificate.der] = certificate
        _cache_bytes += _entry_cost(certificate.der)
        while len(_CACHE) > CACHE_SIZE or _cache_bytes > CACHE_BYTES:
            der, _ = _CACHE.popitem(last=False)
            _cache_bytes -= _entry_cost(der)


# Validation runs in worker threads: the lock keeps the byte count true.
_CACHE_LOCK = threading.Lock()
_CACHE: "OrderedDict[bytes, Certificate]" = OrderedDict()
_cache_bytes = 0
