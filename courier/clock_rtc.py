"""Clock sources the kernel and systemd provide: an I2C RTC (DS3231, PCF85063) and NTP status.

With `dtoverlay=i2c-rtc,ds3231` (or pcf85063) the kernel drives the chip as /dev/rtcN and sets the
system time from it at boot; reading /sys/class/rtc/rtcN/since_epoch is enough to know whether it
holds a plausible time. A chip whose oscillator stopped (flat battery) fails the read with EINVAL.
"""

import logging
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

SYS_RTC = Path("/sys/class/rtc")


def read_rtc(name: str = "rtc0", root: Path = SYS_RTC) -> datetime | None:
    """Return the RTC time, or None when no RTC is fitted or it holds no valid time."""
    device = root / name
    if not device.exists():
        return None
    try:
        seconds = int((device / "since_epoch").read_text(encoding="ascii").strip())
    except (OSError, ValueError) as error:
        logger.warning("RTC %s has no valid time (%s): set it once the clock is trusted",
                       name, type(error).__name__)
        return None
    return datetime.fromtimestamp(seconds, UTC)



TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")


def ntp_synchronized(flag: Path = TIMESYNC_FLAG) -> bool:
    """Tell whether systemd-timesyncd has synchronised the system clock since boot.

    timesyncd creates this file on its first successful synchronisation (systemd >= 239); the
    daemon then calls TrustedClock.observe_network with the system time.
    """
    return flag.exists()
