"""The Wi-Fi sync with a fake helper: order of calls, words, and every path left idle."""

import asyncio
from collections.abc import Mapping

import pytest

from courier.app.wifi_sync import WifiSyncParts, wifi_sync
from courier.errors import NetworkError
from courier.sync.wifi_uplink import DEADLINES, Failure, Finished


class FakeHelper:
    """Records the verbs asked for; answers as told."""

    def __init__(self, visible: Mapping[str, int], keys: Mapping[str, bool | None],
                 addressed: bool = True, hang_on: str = "") -> None:
        self.visible, self.keys, self.addressed, self.hang_on = visible, keys, addressed, hang_on
        self.calls: list[str] = []

    async def _step(self, verb: str) -> None:
        self.calls.append(verb)
        if verb == self.hang_on:
            await asyncio.sleep(3600)

    async def close_hotspot(self) -> None:
        await self._step("close")

    async def scan(self) -> Mapping[str, int]:
        await self._step("scan")
        return self.visible

    async def join(self, name: str) -> bool | None:
        await self._step(f"join {name}")
        return self.keys.get(name)

    async def address(self) -> bool:
        await self._step("address")
        if self.hang_on == "helper-down":
            raise NetworkError("net-setup is not answering")
        return self.addressed

    async def leave(self) -> None:
        await self._step("leave")


def _run(helper: FakeHelper, internet: tuple[bool, bool] = (True, True), synced: bool = True,
         hotspot_open: bool = True) -> tuple[Finished, list[str], list[str]]:
    said: list[str] = []
    order = helper.calls

    async def check() -> tuple[bool, bool]:
        order.append("check")
        return internet

    async def sync() -> bool:
        order.append("sync")
        return synced

    parts = WifiSyncParts(helper, check, sync, said.append)
    done = asyncio.run(wifi_sync(("Office", "Cafe"), hotspot_open, parts))
    return done, order, said


def test_a_press_closes_the_hotspot_joins_the_strongest_syncs_and_leaves() -> None:
    helper = FakeHelper({"Cafe": -70, "Office": -40, "Other": -20}, {"Office": True})
    done, order, said = _run(helper)
    assert done == Finished(True, None)
    assert order == ["close", "scan", "join Office", "address", "check", "sync", "leave"]
    assert said[:3] == ["Closing the hotspot", "Looking for Wi-Fi", "Joining Office"]


def test_a_refused_key_tries_the_next_network_and_is_said_when_none_works() -> None:
    helper = FakeHelper({"Cafe": -70, "Office": -40}, {"Office": False, "Cafe": None})
    done, order, said = _run(helper, hotspot_open=False)
    assert done == Finished(False, Failure.WRONG_PASSPHRASE)
    assert order == ["scan", "join Office", "join Cafe", "leave"]
    assert said[-1] == "Wrong Wi-Fi passphrase for Office"


@pytest.mark.parametrize(("helper", "internet", "failure", "words"), [
    (FakeHelper({"Other": -30}, {}), (True, True), Failure.NONE_IN_RANGE,
     "No known Wi-Fi in range"),
    (FakeHelper({"Office": -30}, {"Office": True}), (True, False), Failure.CAPTIVE_PORTAL,
     "Wi-Fi Office has no Internet (captive portal?)"),
    (FakeHelper({"Office": -30}, {"Office": True}, addressed=False), (True, True),
     Failure.NO_ADDRESS, "Wi-Fi Office gave no address (DHCP)"),
    (FakeHelper({"Office": -30}, {"Office": True}, hang_on="helper-down"), (True, True),
     Failure.HELPER, "Network helper not answering"),
])
def test_each_failure_is_said_and_the_client_is_stopped(
        helper: FakeHelper, internet: tuple[bool, bool], failure: Failure, words: str) -> None:
    done, order, said = _run(helper, internet)
    assert done == Finished(False, failure) and said[-1] == words
    assert order[-1] == "leave" and "sync" not in order


def test_a_sequence_stopped_on_purpose_leaves_the_network() -> None:
    helper = FakeHelper({"Office": -30}, {"Office": True})
    started = asyncio.Event()

    async def check() -> tuple[bool, bool]:
        return True, True

    async def sync() -> bool:
        started.set()
        await asyncio.sleep(3600)
        return True

    async def scenario() -> None:
        parts = WifiSyncParts(helper, check, sync, lambda _words: None)
        task = asyncio.create_task(wifi_sync(("Office",), False, parts))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    asyncio.run(scenario())
    assert helper.calls == ["scan", "join Office", "address", "leave"]


def test_a_failed_sync_still_leaves() -> None:
    done, order, _ = _run(FakeHelper({"Office": -30}, {"Office": True}), synced=False)
    assert done == Finished(False, Failure.SYNC_FAILED) and order[-2:] == ["sync", "leave"]


def test_a_join_that_hangs_gives_up_at_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DEADLINES, "joining", 0.2)
    done, order, _ = _run(FakeHelper({"Office": -30}, {}, hang_on="join Office"))
    assert done == Finished(False, Failure.JOIN_FAILED) and order[-1] == "leave"
