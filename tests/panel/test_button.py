"""Gesture classification from timestamped edges, with contact bounce and a jammed button."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courier.panel.button import (
    ButtonClassifier,
    ButtonTiming,
    Gesture,
    GestureKind,
    session_event,
)
from courier.panel.session_types import LongPress, ShortPress, WipeConfirmed

TIMING = ButtonTiming(debounce=0.03, long_press=1.0, wipe_arm=5.0, wipe_countdown=5.0,
                      confirm_window=5.0)


def run(edges: list[tuple[float, bool]], *, until: float | None = None,
        ticks: float = 0.0) -> list[GestureKind]:
    """Feed (time, pressed) edges, optionally ticking every `ticks` seconds; return the kinds."""
    button = ButtonClassifier(TIMING)
    gestures: list[Gesture] = []
    end = until if until is not None else edges[-1][0] + 1.0
    times = sorted({t for t, _ in edges} | (
        {round(i * ticks, 6) for i in range(int(end / ticks) + 1)} if ticks else set()))
    pending = dict(edges) if len({t for t, _ in edges}) == len(edges) else None
    assert pending is not None, "one edge per timestamp"
    for t in times:
        if t in pending:
            gestures += button.edge(pending[t], t)
        else:
            gestures += button.tick(t)
    gestures += button.tick(end)
    return [g.kind for g in gestures]


def press(at: float, held: float) -> list[tuple[float, bool]]:
    return [(at, True), (at + held, False)]


@pytest.mark.parametrize(("held", "kind"), [
    (0.1, GestureKind.SHORT), (0.99, GestureKind.SHORT), (1.0, GestureKind.LONG),
    (4.9, GestureKind.LONG)])
def test_press_durations(held: float, kind: GestureKind) -> None:
    assert run(press(10.0, held)) == [kind]


def test_bounce_on_press_and_release_is_one_short_press() -> None:
    edges = [(1.000, True), (1.002, False), (1.004, True), (1.005, False), (1.007, True),
             (1.300, False), (1.301, True), (1.303, False)]
    assert run(edges) == [GestureKind.SHORT]


def test_a_glitch_shorter_than_debounce_is_ignored() -> None:
    assert run([(1.0, True), (1.01, False)]) == []


def test_press_duration_counts_from_when_the_level_settled() -> None:
    # Chatter for 20 ms then held 0.99 s from the last bounce: still short.
    edges = [(1.0, True), (1.01, False), (1.02, True), (2.01, False)]
    assert run(edges) == [GestureKind.SHORT]


def test_wipe_countdown_then_confirming_release() -> None:
    kinds = run(press(0.0, 11.0), ticks=0.5)
    assert kinds == [GestureKind.WIPE_ARMED, GestureKind.WIPE_READY, GestureKind.WIPE_CONFIRMED]


def test_release_during_countdown_cancels() -> None:
    kinds = run(press(0.0, 7.0), ticks=0.5)
    assert kinds == [GestureKind.WIPE_ARMED, GestureKind.WIPE_CANCELLED]


def test_armed_is_reported_even_without_ticks() -> None:
    assert run(press(0.0, 6.0)) == [GestureKind.WIPE_ARMED, GestureKind.WIPE_CANCELLED]
    assert run(press(0.0, 12.0)) == [GestureKind.WIPE_ARMED, GestureKind.WIPE_READY,
                                     GestureKind.WIPE_CONFIRMED]


def test_jammed_button_never_wipes() -> None:
    kinds = run(press(0.0, 60.0), ticks=1.0)
    assert kinds == [GestureKind.WIPE_ARMED, GestureKind.WIPE_READY, GestureKind.WIPE_CANCELLED]
    # The next real press works again.
    assert run(press(0.0, 60.0) + press(70.0, 0.2)) == [
        GestureKind.WIPE_ARMED, GestureKind.WIPE_READY, GestureKind.WIPE_CANCELLED,
        GestureKind.SHORT]


def test_countdown_remaining_and_deadlines() -> None:
    button = ButtonClassifier(TIMING)
    button.edge(True, 0.0)
    assert button.next_deadline() == pytest.approx(0.03)
    button.tick(0.03)
    assert button.countdown_remaining(3.0) is None
    assert button.next_deadline() == pytest.approx(5.0)
    assert [g.kind for g in button.tick(5.0)] == [GestureKind.WIPE_ARMED]
    assert button.countdown_remaining(7.5) == pytest.approx(2.5)
    assert button.next_deadline() == pytest.approx(10.0)
    button.tick(10.0)
    assert button.countdown_remaining(10.5) == 0.0
    assert button.next_deadline() == pytest.approx(15.0)
    button.edge(False, 11.0)
    assert [g.kind for g in button.tick(11.1)] == [GestureKind.WIPE_CONFIRMED]
    assert button.next_deadline() is None


def test_zero_debounce_classifies_at_once() -> None:
    button = ButtonClassifier(ButtonTiming(debounce=0.0))
    assert button.edge(True, 0.0) == []
    assert [g.kind for g in button.edge(False, 0.2)] == [GestureKind.SHORT]


def test_bad_timings_are_refused() -> None:
    with pytest.raises(ValueError, match="long_press"):
        ButtonTiming(long_press=6.0, wipe_arm=5.0)
    with pytest.raises(ValueError, match="positive"):
        ButtonTiming(wipe_countdown=0)


def test_session_events() -> None:
    assert session_event(Gesture(GestureKind.SHORT, 0)) == ShortPress()
    assert session_event(Gesture(GestureKind.LONG, 0)) == LongPress()
    assert session_event(Gesture(GestureKind.WIPE_CONFIRMED, 0)) == WipeConfirmed()
    assert session_event(Gesture(GestureKind.WIPE_READY, 0)) is None


TERMINAL = {GestureKind.SHORT, GestureKind.LONG, GestureKind.WIPE_CANCELLED,
            GestureKind.WIPE_CONFIRMED}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.0005, 8.0), st.booleans(), st.booleans()), max_size=60))
def test_random_edges_give_coherent_gestures(steps: list[tuple[float, bool, bool]]) -> None:
    button = ButtonClassifier(TIMING)
    t, gestures = 0.0, []
    for gap, pressed, is_tick in steps:
        t += gap
        gestures += button.tick(t) if is_tick else button.edge(pressed, t)
    gestures += button.edge(False, t + 1) + button.tick(t + 100)
    kinds = [g.kind for g in gestures]
    # Per press: optional ARMED, optional READY, then exactly one terminal gesture.
    allowed_before = {GestureKind.WIPE_ARMED: set(),
                      GestureKind.WIPE_READY: {GestureKind.WIPE_ARMED}}
    previous: GestureKind | None = None
    for kind in kinds:
        if kind in allowed_before:
            assert previous is None or previous in TERMINAL or previous in allowed_before[kind]
        if kind is GestureKind.WIPE_CONFIRMED:
            assert previous is GestureKind.WIPE_READY
        previous = kind
    assert previous is None or previous in TERMINAL
    assert button.next_deadline() is None
