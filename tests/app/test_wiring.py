"""Every session event has a producer, every action a handler, every status field one writer."""

import ast
import dataclasses
import typing
from pathlib import Path

import pytest

from courier.panel import session_types
from courier.panel.present import DeviceStatus
from tests.conftest import REPO

pytestmark = pytest.mark.timeout(30)
APP = REPO / "courier" / "app"
# The button's gestures are mapped to events in the panel (the daemon feeds what it returns).
PRODUCERS = [*sorted(APP.glob("*.py")), REPO / "courier" / "panel" / "button.py"]


def _trees(paths: list[Path]) -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text()) for path in paths}


def _calls(tree: ast.Module) -> set[str]:
    """Return the names called in a module (constructors included)."""
    return {node.func.id for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_every_event_type_is_produced_in_the_daemon() -> None:
    made = set().union(*(_calls(tree) for tree in _trees(PRODUCERS).values()))
    events = {cls.__name__ for cls in typing.get_args(session_types.Event)}
    assert events - made == set()


def test_every_action_is_handled_by_the_panel_loop() -> None:
    tree = ast.parse((APP / "panel_loop.py").read_text())
    handled = {case.pattern.cls.id for node in ast.walk(tree) if isinstance(node, ast.Match)
               for case in node.cases if isinstance(case.pattern, ast.MatchClass)
               and isinstance(case.pattern.cls, ast.Name)}
    actions = {cls.__name__ for cls in typing.get_args(session_types.Action)}
    assert actions - handled == set()
    assert "assert_never" in _calls(tree)  # so strict mypy rejects an action left out


def test_every_status_field_has_one_writer_in_the_daemon() -> None:
    fields = {f.name for f in dataclasses.fields(DeviceStatus)}
    # The first snapshot sets the device's name, Wi-Fi credentials, the running version and the
    # settings still to fix (read from the boot partition at start: they never change while
    # running; the update words join the notices at each refresh).
    first = {"device_name", "ssid", "passphrase", "effective_now", "clock_trusted",
             "clock_source", "notices", "version"}
    writers: dict[str, list[str]] = {name: [] for name in fields}
    for path, tree in _trees(sorted(APP.glob("*.py"))).items():
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Name) and n.func.id == "replace"]
        for call in calls:
            for keyword in call.keywords:
                if keyword.arg in fields:
                    writers[keyword.arg].append(path.name)
        if "DeviceStatus" in _calls(tree):
            for name in first:
                writers[name].append(path.name)
    never = sorted(name for name, where in writers.items() if not where)
    assert never == []
    several = {name: sorted(set(where)) for name, where in writers.items()
               if len(set(where)) > 1}
    assert several == {}
    status_writer = {name for name, where in writers.items() if set(where) == {"status.py"}}
    panel = {name for name, where in writers.items() if set(where) == {"panel_loop.py"}}
    # The panel loop writes only what its machine and button classifier know.
    assert panel == {"problem", "closes_in", "wipe_remaining", "wipe_total"}
    assert status_writer | panel | first == fields
