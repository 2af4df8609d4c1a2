"""The battery-less clock: lower bound from saved time and signed messages, trust, expiry policy."""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from courier.clock import EPOCH, STATE_FILE, TrustedClock
from courier.clock_rtc import ntp_synchronized, read_rtc
from courier.protocol import (
    ExpiredMessageError,
    FutureMessageError,
    MessageType,
    Recipient,
    parse_message,
    validate_message,
)
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message

SAVED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BOOT_1970 = datetime(1970, 1, 1, 0, 0, 42, tzinfo=UTC)  # a Pi without RTC after power loss
HOUR = timedelta(hours=1)
Signer = tuple[Any, Any]


def trusted(clock: TrustedClock) -> bool:
    # Read through a call: mypy would keep `clock.trusted` narrowed across the observations.
    return clock.trusted


def saved_clock(tmp_path: Path, monotonic: float = 100.0) -> TrustedClock:
    clock = TrustedClock(tmp_path)
    clock.observe_network(SAVED, 0.0)
    clock.save(BOOT_1970, 0.0)
    return TrustedClock.load(tmp_path, monotonic)


def test_fresh_device_knows_nothing(tmp_path: Path) -> None:
    clock = TrustedClock.load(tmp_path, 5.0)
    assert clock.lower_bound(5.0) == EPOCH and not clock.trusted and clock.source == "none"
    assert clock.effective_now(BOOT_1970, 5.0) == BOOT_1970


def test_saved_time_is_the_lower_bound_after_power_loss(tmp_path: Path) -> None:
    clock = saved_clock(tmp_path, monotonic=100.0)
    assert not clock.trusted and clock.source == "saved"
    assert clock.lower_bound(100.0) == SAVED
    # It advances with the monotonic clock, whatever the system clock says.
    assert clock.effective_now(BOOT_1970, 160.0) == SAVED + timedelta(minutes=1)
    later = SAVED + 3 * HOUR
    assert clock.effective_now(later, 160.0) == later


def test_save_is_atomic_and_monotonic(tmp_path: Path) -> None:
    clock = saved_clock(tmp_path)
    written = clock.save(BOOT_1970, 100.0 + 3600)
    assert written == SAVED + HOUR
    data = json.loads((tmp_path / STATE_FILE).read_text())
    assert datetime.fromisoformat(data["lower_bound"]) == SAVED + HOUR
    assert sorted(os.listdir(tmp_path)) == [STATE_FILE]
    assert TrustedClock.load(tmp_path, 0.0).lower_bound(0.0) == SAVED + HOUR


@pytest.mark.parametrize("content", ["", "{", '{"lower_bound": 3}', '{"lower_bound": "2026-01-01"}',
                                     '["x"]', '{"lower_bound": "yesterday"}',
                                     '{"version": 2, "lower_bound": "2026-01-01"}'])
def test_unreadable_saved_time_starts_from_the_epoch(tmp_path: Path, content: str) -> None:
    (tmp_path / STATE_FILE).write_text(content)
    clock = TrustedClock.load(tmp_path, 0.0)
    assert clock.lower_bound(0.0) == EPOCH and clock.source == "none"


def test_a_saved_time_from_the_old_policy_is_ignored(tmp_path: Path) -> None:
    # Version 1 saved bounds that signed messages had raised: a poisoned 2089 must not return.
    (tmp_path / STATE_FILE).write_text('{"lower_bound": "2089-12-31T00:00:00+00:00"}')
    assert TrustedClock.load(tmp_path, 0.0).lower_bound(0.0) == EPOCH


def test_message_dates_cannot_move_the_clock(tmp_path: Path) -> None:
    clock = saved_clock(tmp_path, monotonic=0.0)
    assert not hasattr(clock, "observe_message")  # no source a stranger can feed
    clock.save(BOOT_1970, 0.0)
    assert TrustedClock.load(tmp_path, 0.0).lower_bound(0.0) == SAVED


def test_network_time_sets_the_clock_also_downwards(tmp_path: Path) -> None:
    clock = saved_clock(tmp_path, monotonic=0.0)
    network = SAVED + timedelta(days=2)
    clock.observe_network(network, 0.0)
    assert clock.trusted and clock.source == "network"
    assert clock.lower_bound(0.0) == network
    clock.observe_network(SAVED, 10.0)  # the network is right, the saved time was ahead
    assert clock.lower_bound(10.0) == SAVED
    assert clock.save(SAVED, 10.0) == SAVED


def test_the_wipe_forgets_the_saved_time(tmp_path: Path) -> None:
    clock = saved_clock(tmp_path, monotonic=0.0)
    clock.forget()
    assert not (tmp_path / STATE_FILE).exists()
    assert clock.lower_bound(0.0) == EPOCH and clock.source == "none" and not clock.trusted
    assert TrustedClock.load(tmp_path, 0.0).lower_bound(0.0) == EPOCH


def test_rtc_before_this_firmware_existed_is_not_trusted(tmp_path: Path) -> None:
    clock = saved_clock(tmp_path, monotonic=0.0)
    assert not clock.observe_rtc(datetime(2000, 1, 1, tzinfo=UTC), 0.0)
    assert not trusted(clock)
    assert clock.observe_rtc(SAVED + HOUR, 0.0)
    assert trusted(clock) and clock.source == "rtc"
    assert clock.reading(BOOT_1970, 0.0).effective_now == SAVED + HOUR


def test_read_rtc_from_sysfs(tmp_path: Path) -> None:
    assert read_rtc("rtc0", tmp_path) is None  # no RTC fitted
    (tmp_path / "rtc0").mkdir()
    (tmp_path / "rtc0" / "since_epoch").write_text("1795521600\n")
    assert read_rtc("rtc0", tmp_path) == datetime.fromtimestamp(1795521600, UTC)
    (tmp_path / "rtc0" / "since_epoch").write_text("garbage")
    assert read_rtc("rtc0", tmp_path) is None  # oscillator stopped: no valid time


# ---- expiry policy with real signed cargo -----------------------------------------------------

@pytest.fixture(scope="module")
def signer() -> Signer:
    key = generate_rsa_key(2048)
    certificate = issue_certificate(key, not_before=SAVED - timedelta(days=60),
                                    not_after=SAVED + timedelta(days=120))
    return key, certificate


def cargo(signer: Signer, created: datetime, ttl: int) -> bytes:
    key, certificate = signer
    return serialize_message(MessageType.CARGO, Recipient("0deadbeef", "example.org"), b"x",
                             sender_key=key, sender_certificate=certificate,
                             creation_date=created, ttl=ttl)


def test_clock_behind_never_serves_expired_cargo(tmp_path: Path, signer: Signer) -> None:
    clock = saved_clock(tmp_path, monotonic=0.0)
    message = parse_message(cargo(signer, SAVED - timedelta(days=10), ttl=86400 * 5))
    # The system clock says 1970, so a naive check would find this cargo fresh.
    assert message.expiry_date > BOOT_1970
    assert message.expiry_date <= clock.effective_now(BOOT_1970, 0.0)  # the store's bound
    with pytest.raises(ExpiredMessageError):
        validate_message(message, clock.validation_now(message.creation_date, BOOT_1970, 0.0))


def test_clock_behind_never_refuses_good_cargo(tmp_path: Path, signer: Signer) -> None:
    clock = saved_clock(tmp_path, monotonic=0.0)
    created = SAVED + timedelta(days=40)  # we were off for 40 days: our bound is far behind
    message = parse_message(cargo(signer, created, ttl=86400 * 30))
    with pytest.raises(FutureMessageError):  # what validating at our own 'now' would do
        validate_message(message, clock.effective_now(BOOT_1970, 0.0))
    validate_message(message, clock.validation_now(created, BOOT_1970, 0.0))
    assert message.expiry_date > clock.effective_now(BOOT_1970, 0.0)


def test_trusted_clock_refuses_cargo_from_the_future(tmp_path: Path,
                                                     signer: Signer) -> None:
    clock = saved_clock(tmp_path, monotonic=0.0)
    clock.observe_network(SAVED, 0.0)
    message = parse_message(cargo(signer, SAVED + 5 * HOUR, ttl=86400))
    with pytest.raises(FutureMessageError):
        validate_message(message, clock.validation_now(message.creation_date, SAVED, 0.0))


def test_ntp_flag(tmp_path: Path) -> None:
    assert not ntp_synchronized(tmp_path / "synchronized")
    (tmp_path / "synchronized").touch()
    assert ntp_synchronized(tmp_path / "synchronized")
