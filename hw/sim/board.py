"""Open the simulated board: SimButton, two SimLeds and a SimDisplay writing PNGs."""

import sys
from pathlib import Path

from courier.panel.ports import Board, BoardSettings
from hw.sim.display import SimDisplay
from hw.sim.faults import SimFaults
from hw.sim.parts import SimButton, SimLed


def open_board(settings: BoardSettings) -> Board:
    """Return a simulated board; frames go to settings.sim_dir, where a faults file breaks parts."""
    directory = Path(settings.sim_dir) if settings.sim_dir else None
    faults = SimFaults(directory / "faults" if directory else None)
    display = None
    if settings.display != "none":
        display = SimDisplay(directory, keep_all=settings.sim_keep_frames,
                             terminal=sys.stdout if settings.sim_preview else None, faults=faults)
    return Board("sim", SimButton(faults=faults), SimLed("status", faults=faults),
                 SimLed("activity", faults=faults), display)
