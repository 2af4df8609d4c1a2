"""CMS SignedData structure rules, checked by editing a valid DER message with asn1crypto."""

from collections.abc import Callable
from typing import Any

import pytest
from asn1crypto import algos, cms

from courier.protocol import (
    InvalidSignatureError,
    MalformedMessageError,
    parse_message,
)
from tests.protocol.conftest import MessageFactory, Pki

Edit = Callable[[Any, Pki], None]


def edited(data: bytes, pki: Pki, edit: Edit) -> bytes:
    info = cms.ContentInfo.load(data[7:])
    edit(info["content"], pki)
    dumped: bytes = info.dump(force=True)  # asn1crypto is untyped
    return data[:7] + dumped


def drop_certificates(signed: Any, pki: Pki) -> None:
    del signed["certificates"]


def stranger_certificate_only(signed: Any, pki: Pki) -> None:
    signed["certificates"] = [cms.CertificateChoices.load(pki.stranger_cert.der)]


def two_signers(signed: Any, pki: Pki) -> None:
    signer = signed["signer_infos"][0]
    signed["signer_infos"] = [signer, signer]


def detached(signed: Any, pki: Pki) -> None:
    signed["encap_content_info"] = {"content_type": "data"}


def not_data(signed: Any, pki: Pki) -> None:
    content = signed["encap_content_info"]["content"]
    signed["encap_content_info"] = {"content_type": "1.2.3.4", "content": content}


def no_signed_attributes(signed: Any, pki: Pki) -> None:
    del signed["signer_infos"][0]["signed_attrs"]


def attributes_without(kind: str) -> Edit:
    def edit(signed: Any, pki: Pki) -> None:
        signer = signed["signer_infos"][0]
        kept = [a for a in signer["signed_attrs"] if a["type"].native != kind]
        signer["signed_attrs"] = cms.CMSAttributes(kept)
    return edit


def subject_key_identifier(signed: Any, pki: Pki) -> None:
    signed["signer_infos"][0]["sid"] = cms.SignerIdentifier(
        {"subject_key_identifier": b"\x01" * 32})


def signature_algorithm(value: dict[str, Any]) -> Edit:
    def edit(signed: Any, pki: Pki) -> None:
        signed["signer_infos"][0]["signature_algorithm"] = algos.SignedDigestAlgorithm(value)
    return edit


def pss(salt: int, hash_name: str = "sha256") -> dict[str, Any]:
    hash_id = {"algorithm": hash_name}
    return {"algorithm": "rsassa_pss", "parameters": algos.RSASSAPSSParams({
        "hash_algorithm": hash_id, "salt_length": salt,
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": hash_id}})}


def content_type_attribute_of(value: str) -> Edit:
    def edit(signed: Any, pki: Pki) -> None:
        for attribute in signed["signer_infos"][0]["signed_attrs"]:
            if attribute["type"].native == "content_type":
                attribute["values"] = [value]
    return edit


@pytest.mark.parametrize(("edit", "error", "reason"), [
    (drop_certificates, MalformedMessageError, "no_signer_certificate"),
    (stranger_certificate_only, MalformedMessageError, "no_signer_certificate"),
    (two_signers, MalformedMessageError, "bad_cms"),
    (detached, MalformedMessageError, "bad_cms"),
    (not_data, MalformedMessageError, "bad_cms"),
    (no_signed_attributes, MalformedMessageError, "no_signed_attributes"),
    (attributes_without("message_digest"), MalformedMessageError, "no_signed_attributes"),
    (attributes_without("content_type"), MalformedMessageError, "no_signed_attributes"),
    (content_type_attribute_of("1.2.3.4"), MalformedMessageError, "bad_cms"),
    (subject_key_identifier, MalformedMessageError, "bad_structure"),
    (signature_algorithm({"algorithm": "sha256_rsa"}), InvalidSignatureError,
     "unsupported_algorithm"),
    (signature_algorithm({"algorithm": "rsassa_pss"}), InvalidSignatureError,
     "unsupported_algorithm"),
    (signature_algorithm(pss(20, "sha1")), InvalidSignatureError, "unsupported_algorithm"),
    (signature_algorithm(pss(20)), InvalidSignatureError, "bad_signature"),
], ids=lambda value: getattr(value, "__name__", None))
def test_structure_rules(make_message: MessageFactory, pki: Pki, edit: Edit,
                         error: type[Exception], reason: str) -> None:
    data = edited(make_message(ca_certificates=(pki.gateway_cert,)), pki, edit)
    with pytest.raises(error) as caught:
        parse_message(data)
    assert getattr(caught.value, "reason", None) == reason


def test_unedited_round_trip_through_asn1crypto(make_message: MessageFactory, pki: Pki) -> None:
    data = edited(make_message(), pki, lambda signed, _: None)
    assert parse_message(data).payload == b"encrypted parcels"


def test_digest_algorithm_without_null_parameter(make_message: MessageFactory, pki: Pki) -> None:
    def absent(signed: Any, pki: Pki) -> None:
        algorithm = algos.DigestAlgorithm.load(bytes.fromhex("300b0609608648016503040201"))
        signed["signer_infos"][0]["digest_algorithm"] = algorithm
        signed["digest_algorithms"] = [algorithm]

    data = edited(make_message(), pki, absent)
    assert b"\x30\x0b\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01" in data
    assert parse_message(data).payload == b"encrypted parcels"
