"""Drawing primitives for a 128x64 monochrome OLED: bundled bitmap font, bars, gauges, icons."""

import math
from functools import cache

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 128, 64
MODE = "1"
LINE = 11  # line height of the font (6x11 cell)
CHAR = 6
COLUMNS = WIDTH // CHAR


@cache
def font() -> ImageFont.ImageFont:
    """Return Pillow's built-in bitmap font: shipped inside Pillow, no FreeType, deterministic."""
    if hasattr(ImageFont, "load_default_imagefont"):  # Pillow >= 10.1
        return ImageFont.load_default_imagefont()
    bitmap: ImageFont.ImageFont = ImageFont.load_default()  # type: ignore[assignment]
    return bitmap  # before 10.1 the default font was this same bitmap font


def blank() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """Return a black canvas and a drawing context on it."""
    image = Image.new(MODE, (WIDTH, HEIGHT), 0)
    return image, ImageDraw.Draw(image)


def printable(value: str) -> str:
    """Replace what the font cannot draw (non-ASCII, control characters) with '?'.

    Never transliterate: a courier typing a passphrase must not be shown a different letter.
    """
    return "".join(ch if " " <= ch <= "~" else "?" for ch in value)


def fit(text: str, columns: int = COLUMNS) -> str:
    """Make text drawable and shorten it to `columns` characters, marking the cut with '~'."""
    text = printable(text)
    return text if len(text) <= columns else text[: max(0, columns - 1)] + "~"


def finite(value: float, low: float, high: float) -> float:
    """Clamp a figure to [low, high]; NaN counts as `low` (hostile or broken inputs never crash)."""
    if math.isnan(value):
        return low
    return min(high, max(low, value))


def text(draw: ImageDraw.ImageDraw, x: int, y: int, value: str, columns: int = COLUMNS) -> None:
    """Draw one line of text (cut to fit) with its top-left corner at (x, y)."""
    draw.text((x, y), fit(value, columns), fill=1, font=font())


def title(draw: ImageDraw.ImageDraw, value: str) -> None:
    """Draw an inverted title bar across the top line."""
    draw.rectangle((0, 0, WIDTH - 1, LINE - 1), fill=1)
    draw.text((2, 0), fit(value, COLUMNS - 1), fill=0, font=font())


def big_text(image: Image.Image, x: int, y: int, value: str, scale: int = 2) -> None:
    """Draw text at an integer scale (nearest neighbour keeps pixels crisp)."""
    value = printable(value)
    width = max(1, int(font().getlength(value)))
    small = Image.new(MODE, (width, LINE), 0)
    ImageDraw.Draw(small).text((0, 0), value, fill=1, font=font())
    image.paste(small.resize((width * scale, LINE * scale), Image.Resampling.NEAREST), (x, y))


def bar(draw: ImageDraw.ImageDraw, x: int, y: int, width: int, fraction: float, *,
        height: int = 7) -> None:
    """Draw a progress bar: an outline filled from the left by `fraction` (clamped to 0..1)."""
    fraction = finite(fraction, 0.0, 1.0)
    draw.rectangle((x, y, x + width - 1, y + height - 1), outline=1, fill=0)
    filled = round((width - 4) * fraction)
    if filled > 0:
        draw.rectangle((x + 2, y + 2, x + 1 + filled, y + height - 3), fill=1)


def human_bytes(count: int) -> str:
    """Format a byte count in at most 5 characters (B, K, M, G; powers of 1024)."""
    value = float(max(0, count))
    for unit in ("B", "K", "M", "G"):
        if value < 1000 or unit == "G":
            return f"{value:.0f}{unit}" if unit == "B" or value >= 10 else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.0f}T"  # pragma: no cover - unreachable


def clock_icon(draw: ImageDraw.ImageDraw, x: int, y: int, trusted: bool) -> None:
    """Draw a 9x9 clock face; a cross through it when the clock is not trusted."""
    draw.ellipse((x, y, x + 8, y + 8), outline=1)
    draw.line((x + 4, y + 2, x + 4, y + 4, x + 6, y + 4), fill=1)
    if not trusted:
        draw.line((x, y, x + 8, y + 8), fill=1)
        draw.line((x, y + 8, x + 8, y), fill=1)


def uplink_icon(draw: ImageDraw.ImageDraw, x: int, y: int, up: bool) -> None:
    """Draw a 9x9 globe when an Internet uplink is present, an empty circle otherwise."""
    draw.ellipse((x, y, x + 8, y + 8), outline=1)
    if up:
        draw.line((x + 4, y, x + 4, y + 8), fill=1)
        draw.line((x, y + 4, x + 8, y + 4), fill=1)
        draw.ellipse((x + 2, y, x + 6, y + 8), outline=1)


def wrap(value: str, columns: int) -> list[str]:
    """Break text into lines of at most `columns`, at spaces, else after '-', else anywhere."""
    lines: list[str] = []
    current = ""
    for token in value.split():
        word = token
        while len(word) > columns:
            cut = word.rfind("-", 0, columns) + 1 or columns
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        if current and len(current) + 1 + len(word) > columns:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines
