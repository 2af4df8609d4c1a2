"""Open the simulated board: SimButton, two SimLeds and a SimDisplay writing PNGs."""

import sys
from pathlib import Path

from courier.panel.ports import Board, BoardSettings
from hw.sim.display import SimDisplay
from hw.sim.parts import SimButton, SimLed


def open_board(settings: BoardSettings) -> Board:
    """Return a simulated board; frames go to settings.sim_dir when set."""
    display = None
    if settings.display != "none":
        display = SimDisplay(Path(settings.sim_dir) if settings.sim_dir else None,
                             keep_all=settings.sim_keep_frames,
                             terminal=sys.stdout if settings.sim_preview else None)
    return Board("sim", SimButton(), SimLed("status"), SimLed("activity"), display)
