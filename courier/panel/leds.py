"""LED patterns as pure functions of (pattern, time): what the status and activity LEDs show."""

from dataclasses import dataclass

from courier.panel.session_types import LedPattern


@dataclass(frozen=True)
class Blink:
    """A repeating sequence: within each `period`, the LED is lit during the `lit` intervals."""

    period: float
    lit: tuple[tuple[float, float], ...]


# Each pattern differs in rhythm, not only speed, so it can be told apart without a reference.
SEQUENCES: dict[LedPattern, Blink] = {
    LedPattern.OFF: Blink(1.0, ()),
    LedPattern.ON: Blink(1.0, ((0.0, 1.0),)),
    LedPattern.HEARTBEAT: Blink(3.0, ((0.0, 0.1),)),
    LedPattern.SLOW_BLINK: Blink(2.0, ((0.0, 1.0),)),
    LedPattern.FAST_BLINK: Blink(0.25, ((0.0, 0.125),)),
    LedPattern.DOUBLE_BLINK: Blink(2.0, ((0.0, 0.15), (0.3, 0.45))),
    # ... --- ... (dot 0.2 s, dash 0.6 s), then a pause: an error nobody mistakes for activity.
    LedPattern.SOS: Blink(6.0, ((0.0, 0.2), (0.4, 0.6), (0.8, 1.0),
                                (1.4, 2.0), (2.2, 2.8), (3.0, 3.6),
                                (4.0, 4.2), (4.4, 4.6), (4.8, 5.0))),
}

ACTIVITY_FLASH = 0.05  # seconds the activity LED stays lit per transfer
ACTIVITY_GAP = 0.05  # dark time between flashes, so a steady stream still flickers


def status_led_on(pattern: LedPattern, t: float) -> bool:
    """Tell whether the status LED is lit at time `t` (monotonic seconds) for `pattern`."""
    blink = SEQUENCES[pattern]
    phase = t % blink.period
    return any(start <= phase < end for start, end in blink.lit)


def next_change(pattern: LedPattern, t: float) -> float | None:
    """Return the first time after `t` at which the LED level changes, or None if it never does."""
    blink = SEQUENCES[pattern]
    edges = sorted({edge for interval in blink.lit for edge in interval} - {blink.period})
    if not edges or blink.lit == ((0.0, blink.period),):
        return None
    cycle = t - t % blink.period
    for base in (cycle, cycle + blink.period):
        for edge in edges:
            if base + edge > t:
                return base + edge
    return None  # pragma: no cover - edges are within one period


def activity_led_on(last_activity: float | None, t: float) -> bool:
    """Tell whether the activity LED is lit: a short flash after each cargo or CCA moved."""
    if last_activity is None:
        return False
    since = t - last_activity
    return 0 <= since < ACTIVITY_FLASH


def activity_led_sequence(transfers: int, start: float) -> tuple[tuple[float, bool], ...]:
    """Return (time, on) steps flashing once per transfer (capped at 10 flashes) from `start`."""
    steps: list[tuple[float, bool]] = []
    t = start
    for _ in range(min(transfers, 10)):
        steps.extend(((t, True), (t + ACTIVITY_FLASH, False)))
        t += ACTIVITY_FLASH + ACTIVITY_GAP
    return tuple(steps)
