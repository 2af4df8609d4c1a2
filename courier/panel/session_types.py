"""States, events and actions of the session state machine (frozen values, no behaviour)."""

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """Where the device is; attention states are idle states with something to tell the courier."""

    BOOT = "boot"
    IDLE = "idle"
    HOTSPOT = "hotspot"
    INTERNET_SYNC = "internet_sync"
    WIFI_SYNC = "wifi_sync"  # looking for a known Wi-Fi network, then syncing through it
    STORAGE_FULL = "storage_full"
    CLOCK_UNTRUSTED = "clock_untrusted"
    ERROR = "error"
    WIPE_COUNTDOWN = "wipe_countdown"
    WIPING = "wiping"
    WIPED = "wiped"
    UPDATE_OFFER = "update_offer"  # a signed system update is offered: hold to install it
    UPDATING = "updating"  # the update helper is installing it (then reboots into it)


class Kind(StrEnum):
    """Event kinds the table is keyed on: input events refined by the machine's context."""

    POWER_ON = "power_on"
    PRESS_ONLINE = "press_online"  # short press while an uplink is present
    PRESS_OFFLINE = "press_offline"  # short press with no uplink
    PRESS_WIFI = "press_wifi"  # short press with no wired uplink but Wi-Fi uplinks set
    LONG_PRESS = "long_press"
    WIPE_ARMED = "wipe_armed"
    WIPE_CANCELLED = "wipe_cancelled"
    WIPE_CONFIRMED = "wipe_confirmed"
    WIPE_DONE = "wipe_done"
    CLIENT_ACTIVITY = "client_activity"
    IDLE_TIMEOUT = "idle_timeout"
    SYNC_DONE = "sync_done"
    SYNC_FAILED = "sync_failed"
    NO_WIFI = "no_wifi"  # no known Wi-Fi network in range
    CONDITION = "condition"  # storage, clock, fault, uplink or update offer changed
    UPDATE_DONE = "update_done"  # installed: the helper reboots into it
    UPDATE_FAILED = "update_failed"  # not installed: the running system stays


class Screen(StrEnum):
    """Screens the daemon renders (courier.panel has one view model per screen)."""

    READY = "ready"
    SESSION = "session"
    CLIENTS = "clients"
    TRANSFER = "transfer"
    INTERNET = "internet"
    WIFI = "wifi"
    STORAGE = "storage"
    CLOCK = "clock"
    PROBLEM = "problem"
    WIPE_COUNTDOWN = "wipe_countdown"
    WIPING = "wiping"
    WIPED = "wiped"
    UPDATE_OFFER = "update_offer"
    UPDATING = "updating"


class LedPattern(StrEnum):
    """Status LED patterns; courier.panel.leds says when each is lit."""

    OFF = "off"
    ON = "on"
    HEARTBEAT = "heartbeat"  # idle: a short blink every 3 s
    SLOW_BLINK = "slow_blink"  # hotspot open: 1 s on, 1 s off
    FAST_BLINK = "fast_blink"  # Internet sync or wiping: 4 Hz
    DOUBLE_BLINK = "double_blink"  # attention: two blinks every 2 s
    SOS = "sos"  # error


class Problem(StrEnum):
    """Why an attention state was entered, in the words of courier.panel's problem screen."""

    STORAGE_FULL = "storage_full"
    CLOCK_UNTRUSTED = "clock_untrusted"
    HARDWARE_FAULT = "hardware_fault"
    SYNC_FAILED = "sync_failed"
    WIFI_FAILED = "wifi_failed"  # a sync over Wi-Fi did not happen or failed
    UPDATE_FAILED = "update_failed"  # a system update was not installed; the old one runs


# ---- input events ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PowerOn:
    """The daemon started: the conditions found at boot."""

    clock_trusted: bool
    storage_full: bool = False
    uplink: bool = False


@dataclass(frozen=True)
class ShortPress:
    """A short button press (start a sync, or end a hotspot session)."""


@dataclass(frozen=True)
class LongPress:
    """A long button press: show the next status screen."""


@dataclass(frozen=True)
class WipeArmed:
    """The button was held past the wipe threshold: the countdown is running."""


@dataclass(frozen=True)
class WipeCancelled:
    """The button was released before the end of the countdown (or held far too long)."""


@dataclass(frozen=True)
class WipeConfirmed:
    """The button was released after the countdown: wipe now."""


@dataclass(frozen=True)
class WipeFinished:
    """The store has been wiped."""


@dataclass(frozen=True)
class ClientActivity:
    """A private gateway connected or moved cargo: the hotspot session is not idle."""


@dataclass(frozen=True)
class Tick:
    """Time passed; sent at least at next_deadline()."""


@dataclass(frozen=True)
class InternetSyncFinished:
    """The Internet sync ended; ok=False means it failed (the problem screen says so)."""

    ok: bool


@dataclass(frozen=True)
class NoWifiInRange:
    """The Wi-Fi uplink found no known network in range (nothing was joined)."""


@dataclass(frozen=True)
class UplinkChanged:
    """An Internet uplink appeared or disappeared."""

    up: bool


@dataclass(frozen=True)
class StorageChanged:
    """The store became full, or has room again."""

    full: bool


@dataclass(frozen=True)
class ClockChanged:
    """The clock became trusted (network time, RTC) or untrusted."""

    trusted: bool


@dataclass(frozen=True)
class FaultChanged:
    """A hardware fault appeared (active=True) or went away."""

    active: bool


@dataclass(frozen=True)
class UpdateOffered:
    """The system update offered changed (None: none any more, e.g. the stick was pulled)."""

    version: str | None
    serial: int = 0  # the helper's serial: a new one is a fresh offer (the stick plugged again)


@dataclass(frozen=True)
class UpdateFinished:
    """The install ended: ok=True the helper reboots into it, ok=False the running system stays."""

    ok: bool


Event = (PowerOn | ShortPress | LongPress | WipeArmed | WipeCancelled | WipeConfirmed
         | WipeFinished | ClientActivity | Tick | InternetSyncFinished | NoWifiInRange
         | UplinkChanged | StorageChanged | ClockChanged | FaultChanged | UpdateOffered
         | UpdateFinished)


# ---- actions for the daemon ------------------------------------------------------------------

@dataclass(frozen=True)
class OpenHotspot:
    """Bring the Wi-Fi hotspot and the CogRPC server up."""


@dataclass(frozen=True)
class CloseHotspot:
    """Take the hotspot down (let running transfers finish or fail cleanly)."""


@dataclass(frozen=True)
class StartInternetSync:
    """Deliver cargo and CCAs to Internet gateways and collect replies."""


@dataclass(frozen=True)
class StartWifiSync:
    """Look for a known Wi-Fi network; join it, sync, leave (or report none in range)."""


@dataclass(frozen=True)
class StopInternetSync:
    """Abort the Internet sync, over Wi-Fi too (only before a wipe; nothing unacked is lost)."""


@dataclass(frozen=True)
class WipeStore:
    """Destroy the store key and objects, then send WipeFinished."""


@dataclass(frozen=True)
class ShowScreen:
    """Render this screen with fresh data (and keep refreshing it while shown)."""

    screen: Screen


@dataclass(frozen=True)
class SetStatusLed:
    """Drive the status LED with this pattern."""

    pattern: LedPattern


@dataclass(frozen=True)
class InstallUpdate:
    """Ask the update helper to install this offered version, then send UpdateFinished."""

    version: str


Action = (OpenHotspot | CloseHotspot | StartInternetSync | StartWifiSync | StopInternetSync
          | WipeStore | ShowScreen | SetStatusLed | InstallUpdate)
