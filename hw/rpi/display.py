"""The OLED through luma.oled over I2C (SSD1306 or SH1106, 128x64), errors made actionable."""

import errno
import logging
from typing import Any

from PIL import Image

from courier.errors import HardwareError
from courier.panel.ports import BoardSettings

logger = logging.getLogger(__name__)

CHIPS = ("ssd1306", "sh1106")


class LumaDisplay:
    """A luma device behind the DisplayPort: skips frames identical to the last one sent."""

    def __init__(self, device: Any, settings: BoardSettings) -> None:
        self._device = device
        self._settings = settings
        self._last: bytes | None = None

    @property
    def size(self) -> tuple[int, int]:
        """Return (width, height) in pixels."""
        return (int(self._device.width), int(self._device.height))

    def show(self, image: Image.Image) -> None:
        """Send a frame (about 25 ms on I2C at 400 kHz, hence the skip of unchanged frames)."""
        frame = image.convert("1")
        data = frame.tobytes()
        if data == self._last:
            return
        try:
            self._device.display(frame)
        except Exception as error:  # OSError, or luma's DeviceNotFoundError when unplugged
            self._last = None
            raise display_error(error, self._settings) from error
        self._last = data

    def close(self) -> None:
        """Blank the panel and release the bus."""
        self._device.cleanup()


def display_error(error: BaseException, settings: BoardSettings) -> HardwareError:
    """Translate an I2C failure into what to do."""
    bus = f"/dev/i2c-{settings.i2c_port}"
    address = f"0x{settings.i2c_address:02X}"
    text = str(error)
    code = getattr(error, "errno", None)
    if "permission denied" in text or code in (errno.EACCES, errno.EPERM):
        return HardwareError(f"display: permission denied on {bus}: add the courier user to group "
                             "i2c (usermod -aG i2c courier)")
    if "not found on address" in text or code in (errno.EREMOTEIO, errno.EIO):
        return HardwareError(f"display: nothing answers at {address} on {bus}: check the wiring "
                             "(SDA pin 3, SCL pin 5, 3.3 V pin 1, GND pin 9) and `i2cdetect -y "
                             f"{settings.i2c_port}`; some modules use 0x3D")
    if "not found" in text or code == errno.ENOENT:
        return HardwareError(f"display: no {bus}: enable I2C (dtparam=i2c_arm=on in config.txt) "
                             "and reboot, or set [panel] display = \"none\"")
    return HardwareError(f"display on {bus} at {address} failed: {text}")


def open_display(settings: BoardSettings, bus: Any = None) -> LumaDisplay | None:
    """Open the configured OLED, or return None for display = "none"; `bus` is an smbus stand-in."""
    if settings.display == "none":
        return None
    if settings.display not in CHIPS:
        raise HardwareError(f"unknown display {settings.display!r}: choose {', '.join(CHIPS)} "
                            "or none")
    try:
        from luma.core.error import Error as LumaError  # noqa: PLC0415 - vendor, this backend only
        from luma.core.interface.serial import i2c  # noqa: PLC0415
        from luma.oled import device as chips  # noqa: PLC0415
    except ImportError as error:
        raise HardwareError("luma.oled is not installed: install the pi extra "
                            "(pip install 'relaynet-courier[pi]')") from error
    try:
        if bus is None:
            serial = i2c(port=settings.i2c_port, address=settings.i2c_address)
        else:
            serial = i2c(bus=bus, address=settings.i2c_address)
        device = getattr(chips, settings.display)(serial, width=128, height=64, rotate=0)
    except (LumaError, OSError) as error:
        raise display_error(error, settings) from error
    logger.info("display: %s at 0x%02X on I2C-%d", settings.display, settings.i2c_address,
                settings.i2c_port)
    return LumaDisplay(device, settings)
