"""The session state machine: every table entry, then the scenarios a courier lives through."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.panel.session import (
    SCREENS,
    STATUS_LED,
    TABLE,
    Do,
    Go,
    SessionMachine,
    SessionSettings,
    Transition,
)
from courier.panel.session_types import (
    ClientActivity,
    ClockChanged,
    CloseHotspot,
    Event,
    FaultChanged,
    InstallUpdate,
    InternetSyncFinished,
    Kind,
    LongPress,
    NoWifiInRange,
    OpenHotspot,
    PowerOn,
    Problem,
    Screen,
    SetStatusLed,
    ShortPress,
    ShowScreen,
    StartInternetSync,
    StartWifiSync,
    State,
    StopInternetSync,
    StorageChanged,
    Tick,
    UpdateFinished,
    UpdateOffered,
    UplinkChanged,
    WipeArmed,
    WipeCancelled,
    WipeConfirmed,
    WipeFinished,
    WipeStore,
)

IDLE_CLOSE = 600.0
OFFER = "0.1.1"


def state_of(machine: SessionMachine) -> State:
    # Read through a call: mypy would keep `machine.state` narrowed across `handle`.
    return machine.state


def machine_in(state: State, *, always_open: bool = False) -> SessionMachine:
    """Return a machine put in `state` with all conditions good."""
    machine = SessionMachine(SessionSettings(IDLE_CLOSE, always_open))
    machine.handle(PowerOn(clock_trusted=True), 0.0)
    if state in (State.UPDATE_OFFER, State.UPDATING):
        machine.handle(UpdateOffered(OFFER), 0.0)
    if state is State.UPDATING:
        machine.handle(LongPress(), 0.0)
    machine.state = state
    machine.hotspot_open = state is State.HOTSPOT or always_open
    return machine


def event_for(kind: Kind, machine: SessionMachine) -> tuple[Event, float]:
    """Return an event the machine refines into `kind`, and the time to send it at."""
    if kind is Kind.PRESS_ONLINE:
        machine.uplink = True
    if kind is Kind.PRESS_OFFLINE:
        machine.uplink = False
    if kind is Kind.PRESS_WIFI:
        machine.uplink = False
        machine.settings = replace(machine.settings, wifi_uplink=True)
    if kind in (Kind.UPDATE_DONE, Kind.UPDATE_FAILED):
        machine.updating = True  # an install was asked for (before a wipe countdown, say)
    events: dict[Kind, Event] = {
        Kind.POWER_ON: PowerOn(clock_trusted=True), Kind.PRESS_ONLINE: ShortPress(),
        Kind.PRESS_OFFLINE: ShortPress(), Kind.LONG_PRESS: LongPress(),
        Kind.WIPE_ARMED: WipeArmed(), Kind.WIPE_CANCELLED: WipeCancelled(),
        Kind.WIPE_CONFIRMED: WipeConfirmed(), Kind.WIPE_DONE: WipeFinished(),
        Kind.CLIENT_ACTIVITY: ClientActivity(), Kind.IDLE_TIMEOUT: Tick(),
        Kind.SYNC_DONE: InternetSyncFinished(ok=True),
        Kind.SYNC_FAILED: InternetSyncFinished(ok=False), Kind.PRESS_WIFI: ShortPress(),
        Kind.NO_WIFI: NoWifiInRange(),
        Kind.CONDITION: StorageChanged(full=True),
        Kind.UPDATE_DONE: UpdateFinished(ok=True), Kind.UPDATE_FAILED: UpdateFinished(ok=False),
    }
    return events[kind], IDLE_CLOSE + 1


def expected_rest(machine: SessionMachine) -> State:
    """Independent statement of which idle state the conditions call for."""
    if machine.update_offer not in (None, machine.update_dismissed):
        return State.UPDATE_OFFER
    if machine.fault or machine.sync_failed or machine.update_failed:
        return State.ERROR
    if machine.storage_full:
        return State.STORAGE_FULL
    if not machine.clock_trusted:
        return State.CLOCK_UNTRUSTED
    return State.HOTSPOT if machine.settings.always_open else State.IDLE


@pytest.mark.parametrize(("key", "transition"), TABLE.items(),
                         ids=[f"{s}-{k}" for s, k in TABLE])
def test_every_table_entry(key: tuple[State, Kind], transition: Transition) -> None:
    state, kind = key
    machine = machine_in(state)
    event, now = event_for(kind, machine)
    actions = machine.handle(event, now)
    if transition.target in (Go.SAME, Go.SETTLE):  # SETTLE is SAME outside always-open mode
        assert state_of(machine) is state
    elif transition.target in (Go.REST, Go.RESUME):
        assert state_of(machine) is expected_rest(machine)
    else:
        assert state_of(machine) is transition.target
    for action in transition.actions:
        if action is Do.INSTALL:
            assert InstallUpdate(OFFER) in actions and machine.updating
        elif action is Do.DISMISS_UPDATE:
            assert machine.update_dismissed == OFFER
        elif not isinstance(action, Do):
            assert action in actions
    if machine.state is not state:
        assert ShowScreen(SCREENS[machine.state][0]) in actions
        assert SetStatusLed(STATUS_LED[machine.state]) in actions
    assert (OpenHotspot() in actions) == (machine.hotspot_open and state is not State.HOTSPOT)


def test_every_state_has_screens_and_a_led_pattern() -> None:
    assert set(SCREENS) == set(State) == set(STATUS_LED)


def test_power_returns_with_an_untrusted_clock() -> None:
    machine = SessionMachine()
    actions = machine.handle(PowerOn(clock_trusted=False), 0.0)
    assert state_of(machine) is State.CLOCK_UNTRUSTED
    assert machine.problem is Problem.CLOCK_UNTRUSTED
    assert actions == [ShowScreen(Screen.PROBLEM), SetStatusLed(STATUS_LED[State.CLOCK_UNTRUSTED])]
    # The courier can still sync: the hotspot lets signed cargo dates move the clock forward.
    assert machine.handle(ShortPress(), 1.0)[0] == OpenHotspot()
    machine.handle(ShortPress(), 2.0)
    assert state_of(machine) is State.CLOCK_UNTRUSTED
    machine.handle(ClockChanged(trusted=True), 3.0)
    assert state_of(machine) is State.IDLE


def test_hotspot_session_closes_after_idle_time() -> None:
    machine = machine_in(State.IDLE)
    assert machine.handle(ShortPress(), 100.0) == [
        OpenHotspot(), ShowScreen(Screen.SESSION), SetStatusLed(STATUS_LED[State.HOTSPOT])]
    assert machine.next_deadline() == 100.0 + IDLE_CLOSE
    machine.handle(ClientActivity(), 400.0)
    assert machine.handle(Tick(), 100.0 + IDLE_CLOSE) == []  # activity pushed the deadline
    assert machine.next_deadline() == 400.0 + IDLE_CLOSE
    actions = machine.handle(Tick(), 400.0 + IDLE_CLOSE)
    assert actions[0] == CloseHotspot()
    assert state_of(machine) is State.IDLE and not machine.hotspot_open


def test_press_ends_hotspot_session_or_switches_to_internet() -> None:
    machine = machine_in(State.HOTSPOT)
    assert machine.handle(ShortPress(), 1.0)[0] == CloseHotspot()
    machine = machine_in(State.HOTSPOT)
    machine.handle(UplinkChanged(up=True), 1.0)
    assert state_of(machine) is State.HOTSPOT  # an uplink alone does not end the session
    assert machine.handle(ShortPress(), 2.0)[:2] == [CloseHotspot(), StartInternetSync()]
    assert state_of(machine) is State.INTERNET_SYNC


def test_presses_during_internet_sync_do_not_stop_it() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UplinkChanged(up=True), 0.0)
    assert StartInternetSync() in machine.handle(ShortPress(), 1.0)
    assert machine.handle(LongPress(), 2.0) == [ShowScreen(Screen.TRANSFER)]
    assert machine.handle(ShortPress(), 3.0) == [ShowScreen(Screen.INTERNET)]
    assert state_of(machine) is State.INTERNET_SYNC and machine.sync_running
    machine.handle(UplinkChanged(up=False), 4.0)  # the sync itself will report the failure
    assert state_of(machine) is State.INTERNET_SYNC
    machine.handle(InternetSyncFinished(ok=False), 5.0)
    assert state_of(machine) is State.ERROR and machine.problem is Problem.SYNC_FAILED
    machine.handle(UplinkChanged(up=True), 6.0)
    assert StartInternetSync() in machine.handle(ShortPress(), 7.0)  # the press acknowledges
    machine.handle(InternetSyncFinished(ok=True), 8.0)
    assert state_of(machine) is State.IDLE and machine.problem is None


def problem_of(machine: SessionMachine) -> Problem | None:
    # Read through a call: mypy would keep `machine.problem` narrowed across `handle`.
    return machine.problem


def wifi_machine(always_open: bool = False) -> SessionMachine:
    """Return a machine with Wi-Fi uplinks set, idle (or hotspot when always open)."""
    machine = SessionMachine(SessionSettings(IDLE_CLOSE, always_open, wifi_uplink=True))
    machine.handle(PowerOn(clock_trusted=True), 0.0)
    return machine


def test_a_press_without_cable_looks_for_wifi_before_opening_the_hotspot() -> None:
    machine = wifi_machine()
    assert machine.handle(ShortPress(), 1.0) == [
        StartWifiSync(), ShowScreen(Screen.WIFI), SetStatusLed(STATUS_LED[State.WIFI_SYNC])]
    assert not machine.hotspot_open and machine.sync_running
    assert machine.handle(ShortPress(), 2.0) == [ShowScreen(Screen.WIFI)]  # never stops it
    machine.handle(UplinkChanged(up=True), 3.0)
    assert state_of(machine) is State.WIFI_SYNC
    assert machine.handle(NoWifiInRange(), 4.0)[:2] == [OpenHotspot(), ShowScreen(Screen.SESSION)]
    assert state_of(machine) is State.HOTSPOT and machine.next_deadline() == 4.0 + IDLE_CLOSE


def test_a_wifi_sync_ends_at_rest_or_on_the_problem_screen() -> None:
    machine = wifi_machine()
    machine.handle(ShortPress(), 1.0)
    machine.handle(InternetSyncFinished(ok=True), 2.0)
    assert state_of(machine) is State.IDLE and not machine.hotspot_open
    machine.handle(ShortPress(), 3.0)
    machine.handle(InternetSyncFinished(ok=False), 4.0)  # a wrong passphrase, a captive portal
    assert state_of(machine) is State.ERROR and machine.problem is Problem.WIFI_FAILED
    assert StartWifiSync() in machine.handle(ShortPress(), 5.0)  # acknowledged, tried again
    machine.handle(UplinkChanged(up=True), 6.0)
    machine.handle(InternetSyncFinished(ok=False), 7.0)
    assert StartInternetSync() in machine.handle(ShortPress(), 8.0)
    machine.handle(InternetSyncFinished(ok=False), 9.0)
    assert problem_of(machine) is Problem.SYNC_FAILED  # over the cable this time


def test_a_session_press_ends_it_and_the_next_looks_for_wifi() -> None:
    machine = wifi_machine()
    machine.state, machine.hotspot_open = State.HOTSPOT, True
    assert machine.handle(ShortPress(), 1.0)[0] == CloseHotspot()
    assert state_of(machine) is State.IDLE
    machine.handle(UplinkChanged(up=True), 2.0)
    assert StartInternetSync() in machine.handle(ShortPress(), 3.0)  # a cable comes first


def test_always_open_never_closes_the_hotspot_for_wifi() -> None:
    machine = wifi_machine(always_open=True)
    assert state_of(machine) is State.HOTSPOT
    assert machine.handle(ShortPress(), 1.0) == []
    assert state_of(machine) is State.HOTSPOT and machine.hotspot_open


def test_a_wipe_during_a_wifi_sync_stops_it_and_a_cancel_resumes_it() -> None:
    machine = wifi_machine()
    machine.handle(ShortPress(), 1.0)
    machine.handle(WipeArmed(), 2.0)
    assert ShowScreen(Screen.WIFI) in machine.handle(WipeCancelled(), 3.0)
    assert state_of(machine) is State.WIFI_SYNC
    machine.handle(WipeArmed(), 4.0)
    assert machine.handle(WipeConfirmed(), 5.0)[:2] == [StopInternetSync(), WipeStore()]


def test_always_open_keeps_the_hotspot() -> None:
    machine = SessionMachine(SessionSettings(idle_close_seconds=IDLE_CLOSE, always_open=True))
    assert machine.handle(PowerOn(clock_trusted=True), 0.0)[0] == OpenHotspot()
    assert state_of(machine) is State.HOTSPOT and machine.next_deadline() is None
    assert machine.handle(Tick(), 10 * IDLE_CLOSE) == []
    assert machine.handle(ShortPress(), 1.0) == []  # no uplink: nothing to do, stays open
    machine.handle(UplinkChanged(up=True), 2.0)
    actions = machine.handle(ShortPress(), 3.0)
    assert CloseHotspot() not in actions and StartInternetSync() in actions
    actions = machine.handle(InternetSyncFinished(ok=True), 4.0)
    assert state_of(machine) is State.HOTSPOT and OpenHotspot() not in actions
    actions = machine.handle(StorageChanged(full=True), 5.0)
    assert state_of(machine) is State.STORAGE_FULL and machine.hotspot_open  # nobody needs to press
    assert CloseHotspot() not in actions
    actions = machine.handle(StorageChanged(full=False), 6.0)
    assert state_of(machine) is State.HOTSPOT and OpenHotspot() not in actions
    machine.handle(ShortPress(), 7.0)
    machine.handle(StorageChanged(full=True), 8.0)
    assert state_of(machine) is State.INTERNET_SYNC  # a sync is never interrupted
    machine.handle(InternetSyncFinished(ok=True), 9.0)
    assert state_of(machine) is State.STORAGE_FULL and machine.hotspot_open


def test_storage_full_during_session_shows_after_it() -> None:
    machine = machine_in(State.HOTSPOT)
    machine.handle(StorageChanged(full=True), 1.0)
    assert state_of(machine) is State.HOTSPOT
    machine.handle(ShortPress(), 2.0)
    assert state_of(machine) is State.STORAGE_FULL and machine.screen is Screen.PROBLEM
    machine.handle(FaultChanged(active=True), 3.0)
    assert state_of(machine) is State.ERROR and machine.problem is Problem.HARDWARE_FAULT


def test_wipe_cancelled_resumes_the_session() -> None:
    machine = machine_in(State.HOTSPOT)
    assert machine.handle(WipeArmed(), 1.0) == [
        ShowScreen(Screen.WIPE_COUNTDOWN), SetStatusLed(STATUS_LED[State.WIPE_COUNTDOWN])]
    assert machine.hotspot_open
    actions = machine.handle(WipeCancelled(), 2.0)
    assert state_of(machine) is State.HOTSPOT and OpenHotspot() not in actions
    assert ShowScreen(Screen.SESSION) in actions


def test_wipe_confirmed_during_a_sync() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UplinkChanged(up=True), 0.0)
    machine.handle(ShortPress(), 1.0)
    machine.handle(WipeArmed(), 2.0)
    actions = machine.handle(WipeConfirmed(), 3.0)
    assert actions[:2] == [StopInternetSync(), WipeStore()]
    assert state_of(machine) is State.WIPING
    assert machine.handle(ShortPress(), 4.0) == []  # nothing interrupts a wipe
    assert machine.handle(WipeArmed(), 4.0) == []
    machine.handle(WipeFinished(), 5.0)
    assert state_of(machine) is State.WIPED and machine.screen is Screen.WIPED
    machine.handle(ShortPress(), 6.0)
    assert state_of(machine) is State.IDLE  # a press after a wipe only acknowledges it


def test_sync_ending_during_countdown_resumes_to_rest() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UplinkChanged(up=True), 0.0)
    machine.handle(ShortPress(), 1.0)
    machine.handle(WipeArmed(), 2.0)
    machine.handle(InternetSyncFinished(ok=True), 3.0)
    assert state_of(machine) is State.WIPE_COUNTDOWN
    machine.handle(WipeCancelled(), 4.0)
    assert state_of(machine) is State.IDLE


def test_long_press_cycles_and_wraps() -> None:
    machine = machine_in(State.HOTSPOT)
    seen = [machine.screen]
    for _ in SCREENS[State.HOTSPOT]:
        (action,) = machine.handle(LongPress(), 1.0)
        assert isinstance(action, ShowScreen)
        seen.append(action.screen)
    assert tuple(seen[:-1]) == SCREENS[State.HOTSPOT] and seen[-1] is seen[0]


def test_unlisted_pairs_are_ignored() -> None:
    for state in State:
        for kind in Kind:
            if (state, kind) in TABLE:
                continue
            machine = machine_in(state)
            event, now = event_for(kind, machine)
            before = machine.state
            machine.handle(event, now)
            assert state_of(machine) is before


EVENTS = st.sampled_from([
    ShortPress(), LongPress(), WipeArmed(), WipeCancelled(), WipeConfirmed(), WipeFinished(),
    ClientActivity(), Tick(), InternetSyncFinished(ok=True), InternetSyncFinished(ok=False),
    NoWifiInRange(), UplinkChanged(up=True), UplinkChanged(up=False), StorageChanged(full=True),
    StorageChanged(full=False), ClockChanged(trusted=True), ClockChanged(trusted=False),
    FaultChanged(active=True), FaultChanged(active=False), UpdateOffered(OFFER),
    UpdateOffered("0.2.0"), UpdateOffered(None), UpdateFinished(ok=True),
    UpdateFinished(ok=False)])


@settings(max_examples=150, deadline=None)
@given(st.booleans(), st.booleans(),
       st.lists(st.tuples(EVENTS, st.floats(0, 2000)), max_size=40))
def test_hotspot_actions_always_balance(always_open: bool, wifi: bool,
                                        steps: list[tuple[Event, float]]) -> None:
    machine = SessionMachine(SessionSettings(IDLE_CLOSE, always_open, wifi))
    open_now = False
    for event, now in [(PowerOn(clock_trusted=False), 0.0), *steps]:
        for action in machine.handle(event, now):
            if isinstance(action, OpenHotspot | CloseHotspot):
                assert open_now != isinstance(action, OpenHotspot)  # never twice the same way
                open_now = isinstance(action, OpenHotspot)
        assert open_now == machine.hotspot_open
        assert machine.screen in SCREENS[machine.state]
        if machine.state is State.HOTSPOT:
            assert open_now
        if machine.state is State.WIFI_SYNC:
            assert not open_now  # access point and client never at once on one radio
        if machine.state is State.UPDATE_OFFER:  # never an offer the courier said no to
            assert machine.update_offer not in (None, machine.update_dismissed)


# ---- system updates --------------------------------------------------------------------------

def update_offer_of(machine: SessionMachine) -> str | None:
    # Read through a call: mypy would keep `machine.update_offer` narrowed across `handle`.
    return machine.update_offer


@pytest.mark.parametrize("rest", [State.IDLE, State.ERROR, State.STORAGE_FULL])
def test_an_offer_is_shown_at_once_from_a_rest_state(rest: State) -> None:
    machine = machine_in(State.IDLE)
    conditions: dict[State, Event] = {
        State.IDLE: ClockChanged(trusted=True), State.ERROR: FaultChanged(active=True),
        State.STORAGE_FULL: StorageChanged(full=True)}
    machine.handle(conditions[rest], 1.0)
    assert state_of(machine) is rest
    assert machine.handle(UpdateOffered(OFFER), 2.0) == [
        ShowScreen(Screen.UPDATE_OFFER), SetStatusLed(STATUS_LED[State.UPDATE_OFFER])]
    assert state_of(machine) is State.UPDATE_OFFER
    machine.handle(UpdateOffered(None), 3.0)  # the stick was pulled: back to what it was
    assert state_of(machine) is rest


def test_a_hotspot_session_is_not_interrupted_by_an_offer() -> None:
    machine = machine_in(State.HOTSPOT)
    assert machine.handle(UpdateOffered(OFFER), 1.0) == []
    assert state_of(machine) is State.HOTSPOT and machine.hotspot_open
    actions = machine.handle(ShortPress(), 2.0)  # the session ends: now the offer
    assert actions[:2] == [CloseHotspot(), ShowScreen(Screen.UPDATE_OFFER)]
    assert state_of(machine) is State.UPDATE_OFFER


def test_a_sync_is_not_interrupted_by_an_offer_shown_when_it_ends() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UplinkChanged(up=True), 0.0)
    machine.handle(ShortPress(), 1.0)
    assert machine.handle(UpdateOffered(OFFER), 2.0) == []
    assert state_of(machine) is State.INTERNET_SYNC
    machine.handle(InternetSyncFinished(ok=False), 3.0)
    assert state_of(machine) is State.UPDATE_OFFER  # the offer first, the failure after it
    machine.handle(ShortPress(), 4.0)  # "not now" acknowledges the failed sync too
    assert state_of(machine) is State.IDLE


def test_a_long_press_installs_the_version_offered() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UpdateOffered("0.1.0"), 1.0)
    machine.handle(UpdateOffered(OFFER), 2.0)  # another stick: the newest offer counts
    assert machine.handle(LongPress(), 3.0) == [
        InstallUpdate(OFFER), ShowScreen(Screen.UPDATING),
        SetStatusLed(STATUS_LED[State.UPDATING])]
    assert state_of(machine) is State.UPDATING and machine.updating
    # Nothing the courier does (or the conditions) stops the install; a press shows it again.
    assert machine.handle(ShortPress(), 4.0) == [ShowScreen(Screen.UPDATING)]
    assert machine.handle(LongPress(), 5.0) == []
    assert machine.handle(StorageChanged(full=True), 6.0) == []
    assert machine.handle(UpdateOffered(None), 7.0) == []
    assert machine.handle(ClientActivity(), 8.0) == []
    assert state_of(machine) is State.UPDATING
    assert machine.handle(UpdateFinished(ok=True), 9.0) == []  # "Restarting": it reboots
    assert state_of(machine) is State.UPDATING and not machine.updating


def test_not_now_dismisses_the_offer_until_it_is_withdrawn_and_made_again() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UpdateOffered(OFFER), 1.0)
    actions = machine.handle(ShortPress(), 2.0)
    assert StartInternetSync() not in actions and OpenHotspot() not in actions
    assert state_of(machine) is State.IDLE and machine.update_dismissed == OFFER
    machine.handle(StorageChanged(full=False), 3.0)  # any condition: still not shown
    assert state_of(machine) is State.IDLE
    machine.handle(ShortPress(), 4.0)  # a press syncs as before; the offer stays dismissed
    assert state_of(machine) is State.HOTSPOT
    machine.handle(ShortPress(), 5.0)
    assert state_of(machine) is State.IDLE
    machine.handle(UpdateOffered(None), 6.0)  # the stick pulled ...
    machine.handle(UpdateOffered(OFFER), 7.0)  # ... and plugged again: asked again
    assert state_of(machine) is State.UPDATE_OFFER
    machine.handle(ShortPress(), 8.0)
    machine.handle(UpdateOffered("0.2.0"), 9.0)  # another version: asked about it
    assert state_of(machine) is State.UPDATE_OFFER


def test_a_stick_plugged_again_unseen_is_asked_about_again_by_its_new_serial() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UpdateOffered(OFFER, serial=1), 1.0)
    machine.handle(ShortPress(), 2.0)  # "not now"
    machine.handle(UpdateOffered(OFFER, serial=1), 3.0)  # the same offer seen again: not asked
    assert state_of(machine) is State.IDLE
    # Pulled and plugged again between two looks at the helper: only the serial tells.
    machine.handle(UpdateOffered(OFFER, serial=2), 4.0)
    assert state_of(machine) is State.UPDATE_OFFER


def test_a_failed_install_shows_the_problem_and_is_not_offered_again() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UpdateOffered(OFFER), 1.0)
    machine.handle(LongPress(), 2.0)
    actions = machine.handle(UpdateFinished(ok=False), 3.0)
    assert actions == [ShowScreen(Screen.PROBLEM), SetStatusLed(STATUS_LED[State.ERROR])]
    assert state_of(machine) is State.ERROR and machine.problem is Problem.UPDATE_FAILED
    assert machine.update_dismissed == OFFER and update_offer_of(machine) == OFFER
    machine.handle(FaultChanged(active=True), 4.0)
    assert problem_of(machine) is Problem.HARDWARE_FAULT  # a broken part comes first
    machine.handle(FaultChanged(active=False), 5.0)
    machine.handle(ShortPress(), 6.0)  # acknowledged like a failed sync (and a session opens)
    assert problem_of(machine) is None and state_of(machine) is State.HOTSPOT


def test_a_courier_can_wipe_from_the_offer() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UpdateOffered(OFFER), 1.0)
    machine.handle(WipeArmed(), 2.0)
    assert state_of(machine) is State.WIPE_COUNTDOWN
    assert ShowScreen(Screen.UPDATE_OFFER) in machine.handle(WipeCancelled(), 3.0)
    machine.handle(WipeArmed(), 4.0)
    assert machine.handle(WipeConfirmed(), 5.0)[:2] == [StopInternetSync(), WipeStore()]
    assert state_of(machine) is State.WIPING


def test_a_courier_can_wipe_during_an_install_and_a_cancel_resumes_it() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UpdateOffered(OFFER), 1.0)
    machine.handle(LongPress(), 2.0)
    machine.handle(WipeArmed(), 3.0)
    assert state_of(machine) is State.WIPE_COUNTDOWN
    assert ShowScreen(Screen.UPDATING) in machine.handle(WipeCancelled(), 4.0)
    assert state_of(machine) is State.UPDATING
    machine.handle(WipeArmed(), 5.0)
    assert machine.handle(UpdateFinished(ok=False), 6.0) == []  # recorded, countdown kept
    assert state_of(machine) is State.WIPE_COUNTDOWN and not machine.updating
    machine.handle(WipeCancelled(), 7.0)
    assert state_of(machine) is State.ERROR and machine.problem is Problem.UPDATE_FAILED
    machine.handle(WipeArmed(), 8.0)
    machine.handle(WipeConfirmed(), 9.0)
    assert state_of(machine) is State.WIPING  # the wipe goes on whatever the install does


def test_an_install_ending_during_a_wipe_changes_nothing() -> None:
    machine = machine_in(State.IDLE)
    machine.handle(UpdateOffered(OFFER), 1.0)
    machine.handle(LongPress(), 2.0)
    machine.handle(WipeArmed(), 3.0)
    machine.handle(WipeConfirmed(), 4.0)
    assert machine.handle(UpdateFinished(ok=True), 5.0) == []
    assert state_of(machine) is State.WIPING and not machine.updating


def test_always_open_keeps_the_hotspot_open_for_an_offer_and_an_install() -> None:
    machine = SessionMachine(SessionSettings(IDLE_CLOSE, always_open=True))
    machine.handle(PowerOn(clock_trusted=True), 0.0)
    actions = machine.handle(UpdateOffered(OFFER), 1.0)
    assert state_of(machine) is State.UPDATE_OFFER and machine.hotspot_open
    assert CloseHotspot() not in actions
    actions = machine.handle(LongPress(), 2.0)
    assert InstallUpdate(OFFER) in actions and CloseHotspot() not in actions
    assert state_of(machine) is State.UPDATING and machine.hotspot_open
    actions = machine.handle(UpdateFinished(ok=False), 3.0)
    assert state_of(machine) is State.ERROR and machine.hotspot_open
    assert CloseHotspot() not in actions
    machine.handle(ShortPress(), 4.0)
    assert state_of(machine) is State.HOTSPOT


def test_an_install_end_without_an_install_is_ignored() -> None:
    machine = machine_in(State.IDLE)
    assert machine.handle(UpdateFinished(ok=False), 1.0) == []
    assert machine.problem is None
