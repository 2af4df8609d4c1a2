"""Settings to fix take turns with the resting screens (ready, problem), never with the others."""

from datetime import UTC, datetime, timedelta

import pytest

from courier.panel.present import NOTICE_SECONDS, DeviceStatus, view_for
from courier.panel.session_types import Problem, Screen
from courier.panel.views import NoticeView, ProblemView, ReadyView, SessionView

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)


def _status(at: datetime, notices: tuple[str, ...]) -> DeviceStatus:
    return DeviceStatus("courier", at, False, "saved", notices=notices,
                        problem=Problem.CLOCK_UNTRUSTED)


@pytest.mark.parametrize(("screen", "own"), [(Screen.READY, ReadyView),
                                             (Screen.PROBLEM, ProblemView)])
def test_each_notice_and_the_screen_itself_take_turns(screen: Screen, own: type) -> None:
    notices = ("Settings line 2: bad", "Wi-Fi country not set")
    shown = [view_for(screen, _status(NOW + timedelta(seconds=step * NOTICE_SECONDS), notices))
             for step in range(3)]
    assert sum(isinstance(v, own) for v in shown) == 1
    assert sorted((v.number, v.text) for v in shown if isinstance(v, NoticeView)) == [
        (1, notices[0]), (2, notices[1])]


def test_no_notice_leaves_screens_alone_and_a_session_is_never_covered() -> None:
    assert isinstance(view_for(Screen.READY, _status(NOW, ())), ReadyView)
    for step in range(3):
        at = NOW + timedelta(seconds=step * NOTICE_SECONDS)
        assert isinstance(view_for(Screen.SESSION, _status(at, ("x",))), SessionView)
