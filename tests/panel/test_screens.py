"""Golden PNGs of every screen, and QR codes a phone can read at 64 pixels."""

import typing
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from courier.net.credentials import generate_wifi_credentials
from courier.panel import screens
from courier.panel.canvas import HEIGHT, WIDTH, fit, human_bytes, wrap
from courier.panel.qr import qr_matrix, render_qr, wifi_payload
from courier.panel.views import SessionView, View
from tests.panel.golden_views import GOLDEN, GOLDEN_DIR, PASSPHRASE, SSID


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_screen_matches_golden(name: str, tmp_path: Path) -> None:
    image = screens.render(GOLDEN[name])
    assert image.mode == "1" and image.size == (WIDTH, HEIGHT)
    with Image.open(GOLDEN_DIR / f"{name}.png") as golden:
        expected = golden.convert("1").tobytes()
    if image.tobytes() != expected:
        image.save(tmp_path / f"{name}.png")
        pytest.fail(f"{name} differs from its golden (actual in {tmp_path}); if the change is "
                    "intended, run scripts/regen-golden and look at the PNGs")


def test_every_golden_has_a_view_and_every_view_type_a_golden() -> None:
    assert {p.stem for p in GOLDEN_DIR.glob("*.png")} == set(GOLDEN)
    assert {type(v) for v in GOLDEN.values()} == set(typing.get_args(View))


def test_rendering_is_deterministic() -> None:
    view = GOLDEN["session"]
    assert screens.render(view).tobytes() == screens.render(view).tobytes()


def _decode(image: Image.Image) -> list[str]:
    """Decode QR codes as a phone would see the panel: lit pixels bright, panel dark."""
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def test_session_qr_decodes_from_the_whole_screen() -> None:
    image = screens.render(GOLDEN["session"])
    assert _decode(image) == [wifi_payload(SSID, PASSPHRASE)]
    # Upscaled as a camera would see it, too (nearest: the panel's pixels are sharp squares).
    big = image.resize((WIDTH * 4, HEIGHT * 4), Image.Resampling.NEAREST)
    assert _decode(big) == [wifi_payload(SSID, PASSPHRASE)]


def test_generated_credentials_always_fit_at_two_pixels_a_module() -> None:
    for _ in range(20):
        credentials = generate_wifi_credentials()
        payload = wifi_payload(credentials.ssid, credentials.passphrase)
        code = render_qr(payload, screens.QR_SIZE)
        assert code.scale >= 2
        view = SessionView(credentials.ssid, credentials.passphrase, 0, None)
        assert _decode(screens.render(view)) == [payload]


def test_wifi_payload_escapes_special_characters() -> None:
    payload = wifi_payload('my;net,"x"', "pa:ss\\word")
    assert payload == 'WIFI:T:WPA;S:my\\;net\\,\\"x\\";P:pa\\:ss\\\\word;;'
    assert _decode(render_qr(payload, 64).image) == [payload]


def test_too_long_credentials_fall_back_to_text() -> None:
    payload = wifi_payload("A" * 32, "p" * 63)
    assert len(qr_matrix(payload)) > 31
    with pytest.raises(ValueError, match="does not fit"):
        render_qr(payload, 64)
    assert _decode(screens.render(GOLDEN["session_long_credentials"])) == []


def test_text_helpers() -> None:
    assert wrap("Courier-ABCD", 11) == ["Courier-", "ABCD"]
    assert wrap("a bb ccc", 4) == ["a bb", "ccc"]
    assert wrap("x" * 9, 4) == ["xxxx", "xxxx", "x"]
    assert [human_bytes(n) for n in (0, 999, 1024, 15 * 1024**2, 3 * 1024**3)] == [
        "0B", "999B", "1.0K", "15M", "3.0G"]


@settings(max_examples=300, deadline=None)
@given(st.one_of([st.builds(view_type) for view_type in typing.get_args(View)]))
def test_any_view_renders_without_crashing(view: View) -> None:
    # Names come from configuration and gateways: any text, any figure, NaN included.
    image = screens.render(view)
    assert image.mode == "1" and image.size == (WIDTH, HEIGHT)


def test_text_the_font_cannot_draw_is_marked_not_transliterated() -> None:
    assert fit("Café ☕\n") == "Caf? ??"
    assert fit("x" * 30, 5) == "xxxx~"


def test_session_qr_survives_a_blurry_low_contrast_photo() -> None:
    # A phone sees the panel's glow: each pixel spread over ~3 sensor pixels, grey on dark grey.
    image = screens.render(GOLDEN["session"]).convert("L")
    photo = image.resize((WIDTH * 4, HEIGHT * 4), Image.Resampling.NEAREST)
    photo = photo.filter(ImageFilter.GaussianBlur(3)).point(lambda v: 40 + v * 160 // 255)
    assert _decode(photo) == [wifi_payload(SSID, PASSPHRASE)]
