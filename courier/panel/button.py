"""Button gestures from timestamped edges: debounce, short/long press, panic-wipe hold (pure code).

A press is a level held low (button to GND with a pull-up). Contact bounce is filtered in software:
a level counts only once it has been stable for `debounce` seconds, and it counts from the moment it
started. Holding past `wipe_arm` starts a countdown of `wipe_countdown` seconds shown on screen;
releasing before its end cancels; releasing within `confirm_window` after its end confirms the wipe.
Holding longer than that cancels too: a button jammed in a bag never wipes the device.
"""

from dataclasses import dataclass
from enum import StrEnum

from courier.panel.session_types import (
    Event,
    LongPress,
    ShortPress,
    WipeArmed,
    WipeCancelled,
    WipeConfirmed,
)


class GestureKind(StrEnum):
    """What the courier did with the button."""

    SHORT = "short"
    LONG = "long"
    WIPE_ARMED = "wipe_armed"  # countdown started (button still held)
    WIPE_READY = "wipe_ready"  # countdown over: release now to wipe
    WIPE_CANCELLED = "wipe_cancelled"
    WIPE_CONFIRMED = "wipe_confirmed"


@dataclass(frozen=True)
class Gesture:
    """A classified gesture and the (monotonic) time it was recognised."""

    kind: GestureKind
    at: float


@dataclass(frozen=True)
class ButtonTiming:
    """Gesture thresholds in seconds (all configurable)."""

    debounce: float = 0.03
    long_press: float = 1.0
    wipe_arm: float = 5.0
    wipe_countdown: float = 5.0
    confirm_window: float = 5.0

    def __post_init__(self) -> None:
        if not 0 <= self.debounce < self.long_press < self.wipe_arm:
            raise ValueError("need 0 <= debounce < long_press < wipe_arm")
        if self.wipe_countdown <= 0 or self.confirm_window <= 0:
            raise ValueError("wipe_countdown and confirm_window must be positive")


class ButtonClassifier:
    """Feed raw edges and ticks; get gestures. Call tick() at least at next_deadline()."""

    def __init__(self, timing: ButtonTiming = ButtonTiming()) -> None:
        self.timing = timing
        self._raw = False  # last raw level seen (True = pressed)
        self._raw_since = 0.0
        self._stable = False  # debounced level
        self._pressed_at = 0.0
        self._armed = False
        self._ready = False
        self._void = False  # held too long: ignore this press until released

    def edge(self, pressed: bool, at: float) -> list[Gesture]:
        """Record a raw level change seen at `at`; return the gestures it completes."""
        gestures = self.tick(at)
        if pressed != self._raw:
            self._raw, self._raw_since = pressed, at
        if self.timing.debounce == 0:
            gestures.extend(self.tick(at))
        return gestures

    def tick(self, now: float) -> list[Gesture]:
        """Let time pass; return gestures due by `now`."""
        gestures: list[Gesture] = []
        if self._raw != self._stable and now - self._raw_since >= self.timing.debounce:
            if self._raw:
                self._stable, self._pressed_at = True, self._raw_since
                self._armed = self._ready = self._void = False
            else:
                gestures.extend(self._hold_gestures(self._raw_since))
                self._stable = False
                gestures.extend(self._release(self._raw_since))
        if self._stable:
            gestures.extend(self._hold_gestures(now))
        return gestures

    def countdown_remaining(self, now: float) -> float | None:
        """Return the seconds left in the wipe countdown, or None when no countdown runs."""
        if not (self._stable and self._armed) or self._void:
            return None
        end = self._pressed_at + self.timing.wipe_arm + self.timing.wipe_countdown
        return max(0.0, end - now)

    def next_deadline(self) -> float | None:
        """Return the next time tick() could produce a gesture, or None."""
        if self._raw != self._stable:
            return self._raw_since + self.timing.debounce
        if not self._stable or self._void:
            return None
        t = self.timing
        if not self._armed:
            return self._pressed_at + t.wipe_arm
        if not self._ready:
            return self._pressed_at + t.wipe_arm + t.wipe_countdown
        return self._pressed_at + t.wipe_arm + t.wipe_countdown + t.confirm_window

    def _hold_gestures(self, now: float) -> list[Gesture]:
        """Return the thresholds crossed while the button is held until `now`."""
        if self._void:
            return []
        t, held = self.timing, now - self._pressed_at
        gestures: list[Gesture] = []
        if not self._armed and held >= t.wipe_arm:
            self._armed = True
            gestures.append(Gesture(GestureKind.WIPE_ARMED, self._pressed_at + t.wipe_arm))
        if not self._ready and held >= t.wipe_arm + t.wipe_countdown:
            self._ready = True
            gestures.append(Gesture(GestureKind.WIPE_READY,
                                    self._pressed_at + t.wipe_arm + t.wipe_countdown))
        if held >= t.wipe_arm + t.wipe_countdown + t.confirm_window:
            self._void = True
            gestures.append(Gesture(GestureKind.WIPE_CANCELLED, now))
        return gestures

    def _release(self, at: float) -> list[Gesture]:
        """Classify the press that ended at `at`."""
        if self._void:
            return []
        t, held = self.timing, at - self._pressed_at
        if held < t.long_press:
            kind = GestureKind.SHORT
        elif held < t.wipe_arm:
            kind = GestureKind.LONG
        elif held < t.wipe_arm + t.wipe_countdown:
            kind = GestureKind.WIPE_CANCELLED
        else:
            kind = GestureKind.WIPE_CONFIRMED
        return [Gesture(kind, at)]


_SESSION_EVENTS: dict[GestureKind, Event] = {
    GestureKind.SHORT: ShortPress(),
    GestureKind.LONG: LongPress(),
    GestureKind.WIPE_ARMED: WipeArmed(),
    GestureKind.WIPE_CANCELLED: WipeCancelled(),
    GestureKind.WIPE_CONFIRMED: WipeConfirmed(),
}


def session_event(gesture: Gesture) -> Event | None:
    """Return the session event a gesture stands for (WIPE_READY only changes the screen)."""
    return _SESSION_EVENTS.get(gesture.kind)
