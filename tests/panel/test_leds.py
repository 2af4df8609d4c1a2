"""LED patterns as pure functions of time."""

import pytest

from courier.panel.leds import (
    ACTIVITY_FLASH,
    SEQUENCES,
    activity_led_on,
    activity_led_sequence,
    next_change,
    status_led_on,
)
from courier.panel.session_types import LedPattern


def levels(pattern: LedPattern, period: float, step: float = 0.05) -> list[bool]:
    return [status_led_on(pattern, i * step) for i in range(round(period / step))]


def test_every_pattern_has_a_sequence_within_its_period() -> None:
    assert set(SEQUENCES) == set(LedPattern)
    for blink in SEQUENCES.values():
        assert all(0 <= a < b <= blink.period for a, b in blink.lit)


def test_patterns_differ_and_repeat() -> None:
    seen = {p: tuple(levels(p, 6.0)) for p in LedPattern}
    assert len(set(seen.values())) == len(LedPattern)
    for pattern, blink in SEQUENCES.items():
        for t in (0.0, 0.11, 0.5, 1.3):
            assert status_led_on(pattern, t) == status_led_on(pattern, t + 3 * blink.period)


def test_levels() -> None:
    assert not any(levels(LedPattern.OFF, 2))
    assert all(levels(LedPattern.ON, 2))
    assert status_led_on(LedPattern.HEARTBEAT, 3.05) and not status_led_on(LedPattern.HEARTBEAT, 1)
    assert levels(LedPattern.DOUBLE_BLINK, 0.5, 0.1) == [True, True, False, True, True]


@pytest.mark.parametrize("pattern", list(LedPattern))
def test_next_change_is_where_the_level_changes(pattern: LedPattern) -> None:
    t = 0.37
    change = next_change(pattern, t)
    if change is None:
        assert len(set(levels(pattern, 6.0))) == 1
        return
    assert change > t
    before = status_led_on(pattern, t)
    assert status_led_on(pattern, change) != before
    assert status_led_on(pattern, (t + change) / 2) == before


def test_activity_led() -> None:
    assert not activity_led_on(None, 5.0)
    assert activity_led_on(5.0, 5.0) and not activity_led_on(5.0, 5.01 + ACTIVITY_FLASH)
    steps = activity_led_sequence(3, 10.0)
    assert [on for _, on in steps] == [True, False] * 3
    assert [t for t, _ in steps] == sorted(t for t, _ in steps)
    assert len(activity_led_sequence(1000, 0.0)) == 20
