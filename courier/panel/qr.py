"""QR codes to join the hotspot, sized for a 64-pixel-high monochrome OLED."""

from dataclasses import dataclass

import qrcode
from PIL import Image, ImageDraw

# Wi-Fi QR payload as phones read it (ZXing "WIFI:" format): \ ; , : " are escaped with a backslash.
_SPECIAL = '\\;,:"'


def wifi_payload(ssid: str, passphrase: str, security: str = "WPA") -> str:
    """Return the WIFI: string a phone camera turns into 'join this network'."""
    def escape(value: str) -> str:
        return "".join("\\" + c if c in _SPECIAL else c for c in value)
    return f"WIFI:T:{security};S:{escape(ssid)};P:{escape(passphrase)};;"


@dataclass(frozen=True)
class QrCode:
    """A rendered code: the image and how many pixels wide each module is."""

    image: Image.Image
    modules: int
    scale: int


def qr_matrix(payload: str) -> list[list[bool]]:
    """Return the QR modules of `payload` (no quiet zone), at the lowest error correction.

    Level L keeps the code small: a screen is not a sticker that gets scratched, and fewer, bigger
    modules matter more for a phone reading a 0.96-inch OLED.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0, box_size=1)
    code.add_data(payload.encode("utf-8"))
    code.make(fit=True)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]


def render_qr(payload: str, size: int = 64) -> QrCode:
    """Draw dark modules on a lit square of `size` pixels, modules as big as whole pixels allow.

    The lit margin is the quiet zone: the panel around it is dark, so the code needs its own light
    border. A scale under 2 pixels per module is unreadable on a 0.96-inch panel, hence ValueError.
    """
    matrix = qr_matrix(payload)
    modules = len(matrix)
    scale = (size - 2) // modules  # keep at least a 1-pixel lit border on each side
    if scale < 2:
        raise ValueError(f"QR code of {modules} modules does not fit {size} px at 2 px a module")
    image = Image.new("1", (size, size), 1)
    draw = ImageDraw.Draw(image)
    offset = (size - modules * scale) // 2
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                x, y = offset + col * scale, offset + row * scale
                draw.rectangle((x, y, x + scale - 1, y + scale - 1), fill=0)
    return QrCode(image=image, modules=modules, scale=scale)
