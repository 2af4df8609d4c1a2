"""The session machine's table: every (state, event kind) transition, screens and LED patterns.

courier.panel.session refines events into these kinds and resolves the symbolic targets.
"""

from dataclasses import dataclass
from enum import Enum

from courier.panel.session_types import (
    Action,
    Kind,
    LedPattern,
    Screen,
    StartInternetSync,
    StartWifiSync,
    State,
    StopInternetSync,
    WipeStore,
)


class Go(Enum):
    """Symbolic targets resolved by the machine."""

    SAME = "same"
    REST = "rest"
    RESUME = "resume"
    SETTLE = "settle"  # REST in always-open mode (the hotspot is the resting place), else SAME


class Do(Enum):
    """Table actions that depend on the machine's context (screen cursor, update offer)."""

    NEXT_SCREEN = "next_screen"  # long press: show the next screen of this state
    HOME_SCREEN = "home_screen"  # show this state's first screen again
    INSTALL = "install"  # InstallUpdate(the version offered now)
    DISMISS_UPDATE = "dismiss_update"  # "not now": the offer is not shown again until it changes


@dataclass(frozen=True)
class Transition:
    """Where an event leads and what the daemon must do on the way."""

    target: State | Go
    actions: tuple[Action | Do, ...] = ()


REST_STATES = (State.IDLE, State.STORAGE_FULL, State.CLOCK_UNTRUSTED, State.ERROR)
_WIPEABLE = (*REST_STATES, State.HOTSPOT, State.INTERNET_SYNC, State.WIFI_SYNC)
SYNCING = (State.INTERNET_SYNC, State.WIFI_SYNC)
_PRESSES = (Kind.PRESS_ONLINE, Kind.PRESS_OFFLINE, Kind.PRESS_WIFI)
_SYNC = (StartInternetSync(),)
_UPDATE = (State.UPDATE_OFFER, State.UPDATING)

# (state, event kind) -> transition. Rest states behave alike: a press starts a sync.
TABLE: dict[tuple[State, Kind], Transition] = {
    (State.BOOT, Kind.POWER_ON): Transition(Go.REST),
    **{(rest, Kind.PRESS_ONLINE): Transition(State.INTERNET_SYNC, _SYNC) for rest in REST_STATES},
    **{(rest, Kind.PRESS_OFFLINE): Transition(State.HOTSPOT) for rest in REST_STATES},
    # No cable but Wi-Fi networks set: look for one first (the hotspot stays closed meanwhile).
    **{(rest, Kind.PRESS_WIFI): Transition(State.WIFI_SYNC, (StartWifiSync(),))
       for rest in REST_STATES},
    **{(rest, Kind.CONDITION): Transition(Go.REST) for rest in REST_STATES},
    **{(state, Kind.LONG_PRESS): Transition(Go.SAME, (Do.NEXT_SCREEN,)) for state in _WIPEABLE},
    **{(state, Kind.WIPE_ARMED): Transition(State.WIPE_COUNTDOWN) for state in _WIPEABLE},
    # A press with an uplink means "sync with the Internet", even during a hotspot session.
    (State.HOTSPOT, Kind.PRESS_ONLINE): Transition(State.INTERNET_SYNC, _SYNC),
    # Without one it ends the session (in always-open mode REST is the hotspot again: no-op).
    (State.HOTSPOT, Kind.PRESS_OFFLINE): Transition(Go.REST),
    (State.HOTSPOT, Kind.PRESS_WIFI): Transition(Go.REST),  # the next press looks for Wi-Fi
    (State.HOTSPOT, Kind.CLIENT_ACTIVITY): Transition(Go.SAME),
    (State.HOTSPOT, Kind.IDLE_TIMEOUT): Transition(Go.REST),
    # A session is not interrupted; a fixed installation (always open) shows attention states.
    (State.HOTSPOT, Kind.CONDITION): Transition(Go.SETTLE),
    # An accidental press must not strand cargo half way: a press only shows the progress again.
    **{(sync, press): Transition(Go.SAME, (Do.HOME_SCREEN,))
       for sync in SYNCING for press in _PRESSES},
    **{(sync, Kind.SYNC_DONE): Transition(Go.REST) for sync in SYNCING},
    **{(sync, Kind.SYNC_FAILED): Transition(Go.REST) for sync in SYNCING},
    **{(sync, Kind.CONDITION): Transition(Go.SAME) for sync in SYNCING},
    **{(sync, Kind.CLIENT_ACTIVITY): Transition(Go.SAME) for sync in SYNCING},
    # No known Wi-Fi network in range: the courier is in the field, open the hotspot as before.
    (State.WIFI_SYNC, Kind.NO_WIFI): Transition(State.HOTSPOT),
    (State.WIPE_COUNTDOWN, Kind.WIPE_CANCELLED): Transition(Go.RESUME),
    (State.WIPE_COUNTDOWN, Kind.WIPE_CONFIRMED):
        Transition(State.WIPING, (StopInternetSync(), WipeStore())),
    (State.WIPE_COUNTDOWN, Kind.SYNC_DONE): Transition(Go.SAME),
    (State.WIPE_COUNTDOWN, Kind.SYNC_FAILED): Transition(Go.SAME),
    (State.WIPE_COUNTDOWN, Kind.NO_WIFI): Transition(Go.SAME),
    (State.WIPE_COUNTDOWN, Kind.CONDITION): Transition(Go.SAME),
    (State.WIPING, Kind.WIPE_DONE): Transition(State.WIPED),
    **{(State.WIPED, press): Transition(Go.REST) for press in _PRESSES},
    (State.WIPED, Kind.CONDITION): Transition(Go.SAME),
    # A system update offered (a stick plugged on purpose): hold to install, press for "not now".
    (State.UPDATE_OFFER, Kind.CONDITION): Transition(Go.REST),  # withdrawn, or another version
    (State.UPDATE_OFFER, Kind.LONG_PRESS): Transition(State.UPDATING, (Do.INSTALL,)),
    **{(State.UPDATE_OFFER, press): Transition(Go.REST, (Do.DISMISS_UPDATE,))
       for press in _PRESSES},
    # The helper installs into the other slot: nothing stops it but the end (or a wipe).
    (State.UPDATING, Kind.UPDATE_DONE): Transition(Go.SAME),  # "Restarting": the helper reboots
    (State.UPDATING, Kind.UPDATE_FAILED): Transition(Go.REST),  # ERROR: "Update failed"
    **{(State.UPDATING, press): Transition(Go.SAME, (Do.HOME_SCREEN,)) for press in _PRESSES},
    (State.UPDATING, Kind.LONG_PRESS): Transition(Go.SAME),
    (State.UPDATING, Kind.CONDITION): Transition(Go.SAME),
    (State.UPDATING, Kind.CLIENT_ACTIVITY): Transition(Go.SAME),
    # A courier at risk can always wipe: the install never touches the store.
    **{(state, Kind.WIPE_ARMED): Transition(State.WIPE_COUNTDOWN) for state in _UPDATE},
    (State.WIPE_COUNTDOWN, Kind.UPDATE_DONE): Transition(Go.SAME),  # remembered for RESUME
    (State.WIPE_COUNTDOWN, Kind.UPDATE_FAILED): Transition(Go.SAME),
}

# Screens a long press cycles through; the first is shown on entry.
SCREENS: dict[State, tuple[Screen, ...]] = {
    State.BOOT: (Screen.READY,),
    State.IDLE: (Screen.READY, Screen.STORAGE, Screen.CLOCK),
    State.HOTSPOT: (Screen.SESSION, Screen.CLIENTS, Screen.TRANSFER, Screen.STORAGE, Screen.CLOCK),
    State.INTERNET_SYNC: (Screen.INTERNET, Screen.TRANSFER, Screen.STORAGE, Screen.CLOCK),
    State.WIFI_SYNC: (Screen.WIFI, Screen.INTERNET, Screen.TRANSFER, Screen.STORAGE, Screen.CLOCK),
    State.STORAGE_FULL: (Screen.PROBLEM, Screen.STORAGE, Screen.CLOCK),
    State.CLOCK_UNTRUSTED: (Screen.PROBLEM, Screen.CLOCK, Screen.STORAGE),
    State.ERROR: (Screen.PROBLEM, Screen.READY, Screen.STORAGE, Screen.CLOCK),
    State.WIPE_COUNTDOWN: (Screen.WIPE_COUNTDOWN,),
    State.WIPING: (Screen.WIPING,),
    State.WIPED: (Screen.WIPED,),
    State.UPDATE_OFFER: (Screen.UPDATE_OFFER,),
    State.UPDATING: (Screen.UPDATING,),
}

STATUS_LED: dict[State, LedPattern] = {
    State.BOOT: LedPattern.ON,
    State.IDLE: LedPattern.HEARTBEAT,
    State.HOTSPOT: LedPattern.SLOW_BLINK,
    State.INTERNET_SYNC: LedPattern.FAST_BLINK,
    State.WIFI_SYNC: LedPattern.FAST_BLINK,
    State.STORAGE_FULL: LedPattern.DOUBLE_BLINK,
    State.CLOCK_UNTRUSTED: LedPattern.DOUBLE_BLINK,
    State.ERROR: LedPattern.SOS,
    State.WIPE_COUNTDOWN: LedPattern.FAST_BLINK,
    State.WIPING: LedPattern.FAST_BLINK,
    State.WIPED: LedPattern.OFF,
    State.UPDATE_OFFER: LedPattern.DOUBLE_BLINK,  # attention: hold the button to install
    State.UPDATING: LedPattern.FAST_BLINK,
}
