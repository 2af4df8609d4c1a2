"""RSASSA-PSS verification with parameters read from the AlgorithmIdentifier (RS-018)."""

from functools import lru_cache

from asn1crypto import algos
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from courier.protocol.errors import InvalidSignatureError
from courier.reasons import Reason

MIN_RSA_BITS = 2048

# RS-018: SHA-2 only; SHA-1 and MD5 are refused wherever they appear (digest, PSS, MGF1).
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512,
}


def hash_for(name: str) -> hashes.HashAlgorithm:
    """Return the cryptography hash for an asn1crypto digest name, refusing anything but SHA-2."""
    try:
        return _HASHES[name]()
    except KeyError:
        raise InvalidSignatureError(f"digest algorithm {name} is refused (RS-018)",
                                    Reason.UNSUPPORTED_ALGORITHM) from None


@lru_cache(maxsize=32)
def _pss(algorithm_der: bytes) -> tuple[padding.PSS, hashes.HashAlgorithm]:
    """Return the padding and hash of a DER RSASSA-PSS AlgorithmIdentifier (RFC 4055 3.1)."""
    algorithm = algos.SignedDigestAlgorithm.load(algorithm_der, strict=True)
    if algorithm["algorithm"].native != "rsassa_pss":
        raise InvalidSignatureError("signature algorithm must be RSASSA-PSS (RS-018)",
                                    Reason.UNSUPPORTED_ALGORITHM)
    params = algorithm["parameters"]
    if not isinstance(params, algos.RSASSAPSSParams):
        raise InvalidSignatureError("RSASSA-PSS parameters must be explicit",
                                    Reason.UNSUPPORTED_ALGORITHM)
    # Absent fields take RFC 4055's SHA-1 defaults, which hash_for refuses.
    digest = hash_for(params["hash_algorithm"]["algorithm"].native)
    mgf = params["mask_gen_algorithm"]
    if mgf["algorithm"].native != "mgf1":
        raise InvalidSignatureError("PSS mask generation must be MGF1",
                                    Reason.UNSUPPORTED_ALGORITHM)
    mgf_hash = hash_for(mgf["parameters"]["algorithm"].native)
    salt = params["salt_length"].native
    if params["trailer_field"].native not in (1, "trailer_field_bc"):
        raise InvalidSignatureError("PSS trailer field must be 1", Reason.UNSUPPORTED_ALGORITHM)
    if not 0 <= salt <= 1024:
        raise InvalidSignatureError("PSS salt length out of range", Reason.UNSUPPORTED_ALGORITHM)
    return padding.PSS(mgf=padding.MGF1(mgf_hash), salt_length=salt), digest


def pss_parameters(algorithm_der: bytes) -> tuple[padding.PSS, hashes.HashAlgorithm]:
    """Return (padding, hash) of a DER RSASSA-PSS AlgorithmIdentifier; refuse anything else."""
    try:
        return _pss(bytes(algorithm_der))
    except InvalidSignatureError:
        raise
    except Exception as error:  # asn1crypto raises many types on hostile input
        raise InvalidSignatureError(f"unreadable signature algorithm: {error}",
                                    Reason.UNSUPPORTED_ALGORITHM) from error


def verify_pss(key: rsa.RSAPublicKey, signature: bytes, data: bytes,
               algorithm_der: bytes) -> None:
    """Verify an RSASSA-PSS signature over `data`; raise InvalidSignatureError if it fails."""
    pss, digest = pss_parameters(algorithm_der)
    if key.key_size < MIN_RSA_BITS:
        raise InvalidSignatureError(f"RSA key of {key.key_size} bits is too small (RS-018)",
                                    Reason.WEAK_KEY)
    try:
        key.verify(signature, data, pss, digest)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        raise InvalidSignatureError("signature does not verify", Reason.BAD_SIGNATURE) from None
