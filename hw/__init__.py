"""Board support: real Raspberry Pi drivers and simulated ones, chosen by name.

The backend comes from the configuration ([device] hardware) or the COURIER_HARDWARE environment
variable, and is never swapped silently: asking for "rpi" where there is no GPIO is an error that
says what to do, not a fallback to "sim". A backend's vendor libraries are imported only inside it.
"""

import importlib
import os
from collections.abc import Mapping

from courier.errors import HardwareError
from courier.panel.ports import Board, BoardSettings

ENV_VAR = "COURIER_HARDWARE"
# name -> module defining open_board(settings) -> Board
BACKENDS: dict[str, str] = {"rpi": "hw.rpi.board", "sim": "hw.sim.board"}


def backend_name(configured: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the backend to use: COURIER_HARDWARE when set, else the configured one."""
    env = os.environ if environ is None else environ
    return env.get(ENV_VAR, "").strip() or configured


def open_board(name: str, settings: BoardSettings) -> Board:
    """Open the board of backend `name`; raise HardwareError saying what to do on failure."""
    module_name = BACKENDS.get(name)
    if module_name is None:
        raise HardwareError(
            f"unknown hardware backend {name!r}: set [device] hardware or {ENV_VAR} to one of "
            f"{', '.join(sorted(BACKENDS))}")
    module = importlib.import_module(module_name)
    board: Board = module.open_board(settings)
    return board
