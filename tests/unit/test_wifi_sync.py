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
    assert said[:3] == ["Closing the hotspot", "Looking for Wi-Fi", "Joining Wi-Fi"]


def test_a_refused_key_tries_the_next_network_and_is_said_when_none_works() -> None:
    helper = FakeHelper({"Cafe": -70, "Office": -40}, {"Office": False, "Cafe": None})
    done, order, said = _run(helper, hotspot_open=False)
    assert done == Finished(False, Failure.WRONG_PASSPHRASE)
    assert order == ["scan", "join Office", "join Cafe", "leave"]
    assert said[-1] == Failure.WRONG_PASSPHRASE.value


@pytest.mark.parametrize(("helper", "internet", "failure", "last"), [
    (FakeHelper({"Other": -30}, {}), (True, True), Failure.NONE_IN_RANGE, "scan"),
    (FakeHelper({"Office": -30}, {"Office": True}), (True, False), Failure.CAPTIVE_PORTAL,
     "leave"),
    (FakeHelper({"Office": -30}, {"Office": True}, addressed=False), (True, True),
     Failure.NO_ADDRESS, "leave"),
    (FakeHelper({"Office": -30}, {"Office": True}, hang_on="helper-down"), (True, True),
     Failure.HELPER, "leave"),
])
def test_each_failure_is_said_and_whatever_was_joined_is_left(
        helper: FakeHelper, internet: tuple[bool, bool], failure: Failure, last: str) -> None:
    done, order, said = _run(helper, internet)
    assert done == Finished(False, failure) and said[-1] == failure.value
    assert order[-1] == last and "sync" not in order


def test_a_failed_sync_still_leaves() -> None:
    done, order, _ = _run(FakeHelper({"Office": -30}, {"Office": True}), synced=False)
    assert done == Finished(False, Failure.SYNC_FAILED) and order[-2:] == ["sync", "leave"]


def test_a_join_that_hangs_gives_up_at_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(DEADLINES, "joining", 0.2)
    done, order, _ = _run(FakeHelper({"Office": -30}, {}, hang_on="join Office"))
    assert done == Finished(False, Failure.JOIN_FAILED) and order[-1] == "leave"
