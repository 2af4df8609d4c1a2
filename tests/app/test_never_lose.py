"""Nothing acknowledged is lost: a real daemon, the official JS client, strangers' dates, expiry."""

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from courier.app.daemon import Daemon
from courier.clock import STATE_FILE
from courier.config import load_config
from courier.protocol import MessageType, Recipient, parse_message
from courier.store import Direction, FileStore, ObjectMeta
from courier.testing.issuing import generate_rsa_key, issue_certificate
from courier.testing.serialise import serialize_message
from tests.cogrpc.conftest import Courier, node, start_courier

pytestmark = pytest.mark.interop
GATEWAY = "gateway.example"
INTERNET_GATEWAY_ID = "0" + "ab" * 32


def throwaway_cargo(folder: Path, name: str, created: datetime, ttl: int,
                    size: int = 512) -> Path:
    """Write a validly signed cargo from a fresh self-signed key, dated as asked."""
    key = generate_rsa_key()
    certificate = issue_certificate(key, not_before=created - timedelta(days=1),
                                    not_after=created + timedelta(days=200))
    raw = serialize_message(MessageType.CARGO, Recipient(INTERNET_GATEWAY_ID, GATEWAY),
                            b"\x01" * size, sender_key=key, sender_certificate=certificate,
                            creation_date=created.replace(microsecond=0), ttl=ttl)
    path = folder / name
    path.write_bytes(raw)
    return path


@pytest.fixture
def untrusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Courier]:
    """A courier that has seen no network time (the flag file is absent)."""
    monkeypatch.setenv("COURIER_CLOCK__NTP_FLAG", f'"{tmp_path / "ntp-synchronized"}"')
    monkeypatch.setenv("COURIER_CLOCK__NTP_CHECK_SECONDS", "1")
    running = start_courier(tmp_path / "data", tmp_path / "courier.log")
    yield running
    assert running.stop() == 0, running.log.read_text()[-3000:]


def _files(world: dict[str, object], gateway: int, kind: str) -> list[str]:
    entry = world["gateways"][gateway]  # type: ignore[index]
    return [str(Path(str(world["dir"])) / name) for name in entry[kind]]


def test_future_dates_from_throwaway_keys_make_no_legitimate_cargo_dropped(
    untrusted: Courier, world: dict[str, object], tmp_path: Path,
) -> None:
    courier = untrusted
    far = datetime(2090, 1, 1, tzinfo=UTC)
    poison = [str(throwaway_cargo(tmp_path, f"poison{n}", far, 86400)) for n in range(3)]
    assert sorted(node("deliver", courier.host, *poison)["acked"]) == sorted(poison)
    legit = _files(world, 0, "outbound")[:4]
    for attempt in ("before restart", "after restart"):
        answer = node("deliver", courier.host, *legit)
        assert sorted(answer["acked"]) == sorted(legit), (attempt, answer)
        assert courier.status()["cargo_to_internet"] == 3 + len(legit), attempt
        courier.stop()
        courier.process = start_courier(courier.data_dir, courier.log,
                                        int(courier.host.rsplit(":", 1)[1])).process
    # What waits for the legitimate private gateway is still served to it.
    with courier.offline() as store:
        for name in _files(world, 0, "inbound"):
            raw = Path(name).read_bytes()
            store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
    gateway = world["gateways"][0]  # type: ignore[index]
    cca = str(Path(str(world["dir"])) / gateway["cca"])
    collected = node("collect", courier.host, cca, gateway["id"])
    assert len(collected["cargo"]) == len(gateway["inbound"]) and not collected["errors"], collected
    saved = json.loads((courier.data_dir / "state" / STATE_FILE).read_text())
    assert datetime.fromisoformat(saved["lower_bound"]) < datetime.now(UTC) + timedelta(hours=1)


def test_an_untrusted_clock_refuses_date_only_faults_without_an_ack(
    untrusted: Courier, world: dict[str, object], tmp_path: Path,
) -> None:
    courier = untrusted
    now = datetime.now(UTC)
    stale = str(throwaway_cargo(tmp_path, "stale", now - timedelta(days=10), 86400))
    good = _files(world, 0, "outbound")[:2]
    answer = node("deliver", courier.host, stale, *good)
    # The call ends once nothing more comes; the official client reports the missing ack and
    # keeps that cargo (it deletes only what was acked).
    assert "did not acknowledge all" in str(answer.get("error")), answer
    assert courier.status()["cargo_to_internet"] == 2
    assert "refused a cargo without ack (expired" in courier.log.read_text()
    # Network time arrives: the same date fault is now surely the message's, acked and dropped.
    (tmp_path / "ntp-synchronized").touch()
    deadline = time.monotonic() + 30
    while "clock: trusted" not in courier.log.read_text():
        assert time.monotonic() < deadline, courier.log.read_text()[-2000:]
        time.sleep(0.2)
    assert node("deliver", courier.host, stale)["acked"] == [stale]
    assert courier.status()["cargo_to_internet"] == 2


def test_expired_cargo_frees_the_quota_while_the_daemon_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COURIER_STORE__QUOTA_BYTES", str(24 * 1024 * 1024))
    monkeypatch.setenv("COURIER_STORE__PER_SENDER_FRACTION", "1.0")
    courier = start_courier(tmp_path / "data", tmp_path / "courier.log")
    try:
        now = datetime.now(UTC)
        short = [str(throwaway_cargo(tmp_path, f"short{n}", now - timedelta(seconds=2), 8,
                                     size=2 * 1024 * 1024)) for n in range(12)]
        answer = node("deliver", courier.host, *short)
        assert "RESOURCE_EXHAUSTED" in str(answer.get("error")), answer  # the quota filled
        assert courier.status()["cargo_to_internet"] >= 7
        time.sleep(max(0.0, (now + timedelta(seconds=7) - datetime.now(UTC)).total_seconds()))
        later = str(throwaway_cargo(tmp_path, "later", datetime.now(UTC), 3600,
                                    size=2 * 1024 * 1024))
        assert node("deliver", courier.host, later)["acked"] == [later]
        assert courier.status()["cargo_to_internet"] == 1  # the expired ones were reclaimed
    finally:
        assert courier.stop() == 0


def test_the_wipe_forgets_the_saved_time_and_writes_nothing_after(tmp_path: Path) -> None:
    config = load_config(None, overrides={"clock": {"ntp_flag": str(tmp_path / "none")}})
    daemon = Daemon(config=config, data_dir=tmp_path / "data", listen=["127.0.0.1:0"],
                    tls_address="127.0.0.1")

    async def scenario() -> None:
        await daemon.start()
        assert daemon.upkeep is not None
        daemon.upkeep.save_clock()
        assert (tmp_path / "data" / "state" / STATE_FILE).exists()
        await daemon._wipe()
        daemon.upkeep.save_clock()  # what the shutdown path does
        await daemon.stop()

    asyncio.run(scenario())
    assert not (tmp_path / "data" / "state" / STATE_FILE).exists()
    assert not (tmp_path / "data" / "store").exists()


def test_the_daemon_decides_expiry_at_its_effective_time_not_the_system_clock(
    tmp_path: Path, world: dict[str, object], monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The device was last running ten days from the system clock's "now" (its saved time, a
    # true lower bound): cargo that expires within a week by the system clock has expired.
    monkeypatch.setenv("COURIER_CLOCK__NTP_FLAG", f'"{tmp_path / "no-ntp"}"')
    data = tmp_path / "data"
    gateway = world["gateways"][0]  # type: ignore[index]
    store = FileStore.open(data)
    try:
        for name in gateway["inbound"]:
            raw = (Path(str(world["dir"])) / name).read_bytes()
            message = parse_message(raw)
            assert message.expiry_date < datetime.now(UTC) + timedelta(days=10)
            store.put(ObjectMeta.from_message(message, Direction.TO_PRIVATE), raw)
    finally:
        store.close()
    (data / "state").mkdir(parents=True, exist_ok=True)
    (data / "state" / STATE_FILE).write_text(json.dumps(
        {"version": 2, "lower_bound": (datetime.now(UTC) + timedelta(days=10)).isoformat()}))
    courier = start_courier(data, tmp_path / "courier.log")
    try:
        assert courier.status()["cargo_to_private"] == 0  # reclaimed at start, at that time
        assert "reclaimed" in courier.log.read_text()
    finally:
        assert courier.stop() == 0
