"""Open the Raspberry Pi board: button and LEDs on GPIO, OLED on I2C."""

from courier.panel.ports import Board, BoardSettings
from hw.rpi.display import open_display
from hw.rpi.gpio import RpiButton, RpiLed, import_gpio


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
        display = open_display(settings)
    except BaseException:
        for part in reversed(opened):
            part.close()
        raise
    return Board("rpi", button, status, activity, display)
