"""Gestures to session events: the only link from the button classifier to courier.sync.

Kept out of courier.panel.button so that hw.sim (which may not import courier.sync) can use
the classifier's timings.
"""

from courier.panel.button import Gesture, GestureKind
from courier.sync.session_types import (
    Event,
    LongPress,
    ShortPress,
    WipeArmed,
    WipeCancelled,
    WipeConfirmed,
)

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
