"""The Wi-Fi uplink sequence, table-tested: every path ends idle, left, and said in words."""

import pytest

from courier.sync.wifi_uplink import (
    DEADLINES,
    Action,
    Addressed,
    CheckInternet,
    CloseHotspot,
    Event,
    Failure,
    Finished,
    HelperFailed,
    HotspotClosed,
    Join,
    Joined,
    JoinFailed,
    Leave,
    Left,
    Reached,
    RequestAddress,
    RunSync,
    Say,
    Scan,
    Scanned,
    Start,
    Step,
    Synced,
    Tick,
    WifiUplink,
)

KNOWN = ("Office", "Cafe")


def _run(events: list[Event], known: tuple[str, ...] = KNOWN) -> tuple[WifiUplink, list[Action]]:
    machine = WifiUplink(known)
    actions: list[Action] = []
    for at, event in enumerate(events):
        actions += machine.handle(event, float(at))
    return machine, actions


def _moves(actions: list[Action]) -> list[Action]:
    return [a for a in actions if not isinstance(a, Say)]


def test_the_whole_sequence_closes_the_hotspot_first_and_leaves_last() -> None:
    machine, actions = _run([Start(hotspot_open=True), HotspotClosed(),
                             Scanned({"Cafe": -70, "Office": -50, "Stranger": -30}), Joined(),
                             Addressed(), Reached(dns=True, gateway=True), Synced(ok=True),
                             Left()])
    assert _moves(actions) == [CloseHotspot(), Scan(), Join("Office"), RequestAddress(),
                               CheckInternet(), RunSync(), Leave(), Finished(True, None)]
    assert machine.step is Step.IDLE
    assert [a.text for a in actions if isinstance(a, Say)] == [
        "Closing the hotspot", "Looking for Wi-Fi", "Joining Office",
        "Getting an address from Office", "Checking the Internet through Office",
        "Syncing through Office", "Leaving Office"]


def test_each_step_is_said_before_it_is_asked_for() -> None:
    machine = WifiUplink(KNOWN)
    assert machine.handle(Start(hotspot_open=False), 0.0) == [Say("Looking for Wi-Fi"), Scan()]
    assert machine.handle(Scanned({"Office": -50}), 1.0) == [Say("Joining Office"),
                                                             Join("Office")]


def test_a_refused_passphrase_tries_the_next_network_then_says_which_failure() -> None:
    _, actions = _run([Start(hotspot_open=False), Scanned({"Office": -50, "Cafe": -60}),
                       JoinFailed(wrong_key=True), JoinFailed(wrong_key=False), Left()])
    assert _moves(actions) == [Scan(), Join("Office"), Join("Cafe"), Leave(),
                               Finished(False, Failure.WRONG_PASSPHRASE)]
    assert actions[-2] == Say("Wrong Wi-Fi passphrase for Office")  # the first refusal is told


def test_a_second_network_that_works_clears_the_first_refusal() -> None:
    _, actions = _run([Start(hotspot_open=False), Scanned({"Office": -50, "Cafe": -60}),
                       JoinFailed(wrong_key=True), Joined(), Addressed(),
                       Reached(dns=True, gateway=True), Synced(ok=True), Left()])
    assert actions[-1] == Finished(True, None)


@pytest.mark.parametrize(("events", "failure", "words"), [
    ([Scanned({"Stranger": -40}), Left()], Failure.NONE_IN_RANGE, "No known Wi-Fi in range"),
    ([Scanned({"Office": -50}), Joined(), Addressed(), Reached(dns=True, gateway=False), Left()],
     Failure.CAPTIVE_PORTAL, "Wi-Fi Office has no Internet (captive portal?)"),
    ([Scanned({"Office": -50}), Joined(), Addressed(), Reached(dns=False, gateway=False),
      Left()], Failure.NO_INTERNET, "Wi-Fi Office has no Internet"),
    ([Scanned({"Office": -50}), Joined(), Addressed(), Reached(dns=True, gateway=True),
      Synced(ok=False), Left()], Failure.SYNC_FAILED, "Internet sync failed; cargo is kept"),
    ([Scanned({"Office": -50}), Joined(), HelperFailed(), Left()], Failure.HELPER,
     "Network helper not answering"),
    ([Scanned({"Cafe": -50}), JoinFailed(wrong_key=True), Left()], Failure.WRONG_PASSPHRASE,
     "Wrong Wi-Fi passphrase for Cafe"),
])
def test_each_failure_ends_idle_with_its_words(events: list[Event], failure: Failure,
                                               words: str) -> None:
    machine, actions = _run([Start(hotspot_open=False), *events])
    assert actions[-2:] == [Say(words), Finished(False, failure)]
    assert machine.step is Step.IDLE
    assert Leave() in actions  # a scan started the client: it is always stopped


def test_no_known_network_is_said_without_touching_the_radio() -> None:
    _, actions = _run([Start(hotspot_open=True)], known=())
    assert actions == [Say(Failure.NO_NETWORKS.value), Finished(False, Failure.NO_NETWORKS)]


def test_a_helper_failing_before_the_scan_ends_without_touching_the_client() -> None:
    _, actions = _run([Start(hotspot_open=True), HelperFailed()])
    assert _moves(actions) == [CloseHotspot(), Finished(False, Failure.HELPER)]


@pytest.mark.parametrize(("step_events", "failure"), [
    ([Scanned({"Office": -50})], Failure.JOIN_FAILED),
    ([Scanned({"Office": -50}), Joined()], Failure.NO_ADDRESS),
    ([Scanned({"Office": -50}), Joined(), Addressed()], Failure.NO_INTERNET),
])
def test_a_step_that_takes_too_long_fails_and_leaves(step_events: list[Event],
                                                     failure: Failure) -> None:
    machine = WifiUplink(KNOWN)
    for event in [Start(hotspot_open=False), *step_events]:
        machine.handle(event, 0.0)
    limit = DEADLINES[machine.step.value]
    assert machine.handle(Tick(), limit - 0.1) == []
    assert _moves(machine.handle(Tick(), limit)) == [Leave()]
    assert machine.handle(Left(), limit + 1)[-1] == Finished(False, failure)


def test_events_out_of_turn_are_ignored() -> None:
    machine = WifiUplink(KNOWN)
    for event in (Joined(), Addressed(), Left(), Synced(ok=True), HelperFailed(), Tick()):
        assert machine.handle(event, 0.0) == []
    assert machine.step is Step.IDLE
