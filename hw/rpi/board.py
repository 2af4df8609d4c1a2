"""Open the Raspberry Pi board: button and LEDs on GPIO, OLED on I2C."""

import logging

from courier.errors import HardwareError
from courier.panel.ports import Board, BoardSettings, DisplayPort
from hw.rpi.display import CHIPS, open_display
from hw.rpi.gpio import RpiButton, RpiLed, import_gpio

logger = logging.getLogger(__name__)


def open_board(settings: BoardSettings) -> Board:
    """Claim the pins and the display; release what was claimed if a later part fails."""
    gpio = import_gpio()
    opened: list[RpiButton | RpiLed] = []
    try:
        button = RpiButton(gpio, settings.button_pin)
        opened.append(button)
        status = RpiLed(gpio, settings.status_led_pin)
        opened.append(status)
        activity = RpiLed(gpio, settings.activity_led_pin)
        opened.append(activity)
        display = open_display_or_none(settings)
    except BaseException:
        for part in reversed(opened):
            part.close()
        raise
    return Board("rpi", button, status, activity, display)


def open_display_or_none(settings: BoardSettings) -> DisplayPort | None:
    """Open the OLED; without one the button and LEDs still run the courier (logged loudly)."""
    try:
        return open_display(settings)
    except HardwareError as error:
        if settings.display not in CHIPS:  # a configuration mistake, not a missing module
            raise
        logger.error("%s; running without a screen (the LEDs still show the state)", error)
        return None
