"""Why a message or delivery is refused: one name per reason, on the wire, in counters and logs."""

from enum import StrEnum


class Reason(StrEnum):
    """A refusal reason; the value is what statuses, counters, logs and docs/reasons.md show."""

    # syntax: the bytes are not a well-formed message
    PROTOCOL_ERROR = "protocol_error"
    MALFORMED = "malformed"
    BAD_ENCODING = "bad_encoding"
    TRUNCATED = "truncated"
    TOO_DEEP = "too_deep"
    TRAILING_DATA = "trailing_data"
    BAD_STRUCTURE = "bad_structure"
    BAD_CMS = "bad_cms"
    NO_SIGNED_ATTRIBUTES = "no_signed_attributes"
    NO_SIGNER_CERTIFICATE = "no_signer_certificate"
    BAD_CERTIFICATE = "bad_certificate"
    OVERSIZE_CERTIFICATE = "oversize_certificate"
    TOO_LARGE = "too_large"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_TYPE = "unknown_type"
    OBSOLETE_FORMAT = "obsolete_format"
    BAD_FORMAT_SIGNATURE = "bad_format_signature"
    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_FIELD_SET = "bad_field_set"
    FIELD_TOO_LONG = "field_too_long"
    BAD_DATE = "bad_date"
    BAD_TTL = "bad_ttl"
    # meaning: well formed, but not to be accepted
    INVALID = "invalid"
    BAD_SIGNATURE = "bad_signature"
    UNSUPPORTED_ALGORITHM = "unsupported_algorithm"
    WEAK_KEY = "weak_key"
    EXPIRED = "expired"
    FUTURE = "future"
    CERTIFICATE_VALIDITY = "certificate_validity"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
    BAD_RECIPIENT = "bad_recipient"
    BAD_RECIPIENT_ID = "bad_recipient_id"
    BAD_INTERNET_ADDRESS = "bad_internet_address"
    NOT_INTERNET_BOUND = "not_internet_bound"
    NOT_PRIVATE_BOUND = "not_private_bound"
    SENDER_NOT_ISSUED_BY_RECIPIENT = "sender_not_issued_by_recipient"
    # the CogRPC server's own refusals (counters: also prefixed cca_ or unsure_)
    OVERSIZE = "oversize"
    MISSING = "missing"
    NOT_STORED = "not_stored"
    STORAGE_FULL = "storage_full"
    MALFORMED_DELIVERY = "malformed_delivery"
    DELIVERY_IDLE = "delivery_idle"
    TOO_MANY_CALLS = "too_many_calls"


# Refusals caused by a date alone: with an untrusted clock the fault may be ours.
DATE_REASONS = frozenset({Reason.EXPIRED, Reason.FUTURE, Reason.CERTIFICATE_EXPIRED,
                          Reason.CERTIFICATE_NOT_YET_VALID})
