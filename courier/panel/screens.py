"""Render each view model to a 128x64 mode "1" image, deterministically (golden-tested)."""

import math
from collections.abc import Callable
from typing import Any

from PIL import Image

from courier.panel import canvas as c
from courier.panel.problems import explain
from courier.panel.qr import render_qr, wifi_payload
from courier.panel.views import (
    ClientsView,
    ClockView,
    InternetView,
    NoticeView,
    ProblemView,
    ReadyView,
    SessionView,
    StorageView,
    TransferView,
    UpdateOfferView,
    UpdatingView,
    View,
    WifiView,
    WipeCountdownView,
    WipedView,
    WipingView,
)

QR_SIZE = 60  # 29 modules (version 3) at 2 px plus a 1 px lit border; leaves 11 text columns


def render(view: View) -> Image.Image:
    """Return the screen for `view`."""
    renderer: Callable[[Any], Image.Image] = _RENDERERS[type(view)]
    return renderer(view)


def _ready(view: ReadyView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, f"Ready: {view.device_name}")
    c.text(draw, 0, 13, f"For Internet: {view.cargo_to_internet}")
    c.text(draw, 0, 24, f"For here:     {view.cargo_to_private}")
    c.text(draw, 0, 36, "Store", 5)
    used = c.finite(view.used_fraction, 0.0, 9.99)
    c.bar(draw, 33, 38, 64, used)
    c.text(draw, 100, 36, f"{round(used * 100)}%", 4)
    c.text(draw, 0, 52, "Press to sync", 14)
    c.clock_icon(draw, 106, 53, view.clock_trusted)
    c.uplink_icon(draw, 118, 53, view.uplink)
    return image


def _session(view: SessionView) -> Image.Image:
    image, draw = c.blank()
    try:
        qr = render_qr(wifi_payload(view.ssid, view.passphrase), QR_SIZE)
    except ValueError:  # credentials too long for a readable code: text only, whole width
        x, columns = 0, c.COLUMNS
    else:
        image.paste(qr.image, (0, (c.HEIGHT - QR_SIZE) // 2))
        x, columns = QR_SIZE + 3, (c.WIDTH - QR_SIZE - 3) // c.CHAR
    y = 0
    for line in c.wrap(view.ssid, columns)[:2]:
        c.text(draw, x, y, line, columns)
        y += c.LINE
    draw.line((x, y + 1, c.WIDTH - 1, y + 1), fill=1)
    y += 4
    lines = c.wrap(view.passphrase, columns)
    rows = (53 - y) // c.LINE
    if len(lines) > rows:  # never silently show a wrong passphrase: mark the cut
        lines = [*lines[: rows - 1], c.fit(lines[rows - 1] + "~~", columns)]
    for line in lines:
        c.text(draw, x, y, line, columns)
        y += c.LINE
    status = f"{view.clients} on"
    if view.closes_in is not None:
        status += f" {math.ceil(c.finite(view.closes_in, 0, 99 * 60) / 60)}m"
    c.text(draw, x, 53, status, columns)
    return image


def _clients(view: ClientsView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, f"Gateways here: {len(view.clients)}")
    rows = 3 if view.too_big else 4  # the last row tells about cargo no phone can take
    shown = view.clients if len(view.clients) <= rows else view.clients[:rows - 1]
    for row, client in enumerate(shown):
        c.text(draw, 0, 13 + row * c.LINE,
               f"{c.fit(client.name, 7):<7} in{client.cargo_received:>3} out{client.cargo_sent:>4}")
    if len(shown) < len(view.clients):
        c.text(draw, 0, 13 + len(shown) * c.LINE, f"+{len(view.clients) - len(shown)} more")
    if not view.clients:
        # The official apps sync only when their user taps (PROTOCOL.md section 10).
        c.text(draw, 0, 13, "Open Awala and tap")
        c.text(draw, 0, 24, "Sync with courier.")
    if view.too_big:
        c.text(draw, 0, 13 + 3 * c.LINE, c.fit(f"{view.too_big} too big for Android"))
    return image


def _transfer(view: TransferView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, view.title)
    c.text(draw, 0, 13, f"Cargo {view.cargo_done}/{view.cargo_total}")
    fraction = c.finite(view.cargo_done / view.cargo_total if view.cargo_total else 1.0, 0, 1)
    c.text(draw, 100, 13, f"{round(fraction * 100)}%", 4)
    c.bar(draw, 0, 25, c.WIDTH, fraction, height=9)
    c.text(draw, 0, 39, f"In  {c.human_bytes(view.bytes_in)}", 10)
    c.text(draw, 66, 39, f"Out {c.human_bytes(view.bytes_out)}", 10)
    return image


_STATUS_MARK = {"waiting": "..", "syncing": ">>", "done": "ok", "failed": "!!"}


def _internet(view: InternetView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, f"Internet sync: {len(view.gateways)}")
    for row, gateway in enumerate(view.gateways[:4]):
        mark = _STATUS_MARK.get(gateway.status, "??")
        counts = f"{gateway.delivered:>2}/{gateway.to_deliver:<2} +{gateway.collected}"
        c.text(draw, 0, 13 + row * c.LINE, f"{c.fit(gateway.address, 8):<8} {mark} {counts}")
    if not view.gateways:
        c.text(draw, 0, 24, "No Internet gateway")
        c.text(draw, 0, 35, "has cargo waiting.")
    return image


def _wifi(view: WifiView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, "Wi-Fi uplink")
    lines = c.wrap(view.words or "Starting", c.COLUMNS)
    if len(lines) > 4:  # never silently cut: mark it
        lines = [*lines[:3], c.fit(lines[3] + "~~")]
    for row, line in enumerate(lines):
        c.text(draw, 0, 13 + row * c.LINE, line)
    return image


def _storage(view: StorageView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, "Storage")
    fraction = c.finite(view.used_bytes / view.quota_bytes if view.quota_bytes else 1.0, 0, 9.99)
    c.big_text(image, 0, 12, f"{round(fraction * 100)}%")
    c.text(draw, 56, 13, f"{c.human_bytes(view.used_bytes)} of {c.human_bytes(view.quota_bytes)}",
           12)
    c.text(draw, 56, 24, f"CCAs {view.ccas}", 12)
    c.bar(draw, 0, 37, c.WIDTH, fraction, height=9)
    c.text(draw, 0, 51, f"Net {view.cargo_to_internet} Here {view.cargo_to_private}")
    return image


_SOURCES = {"network": "from Internet", "rtc": "from RTC", "saved": "last saved",
            "messages": "from cargo", "system": "system"}


def _clock(view: ClockView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, "Clock (UTC)")
    c.big_text(image, 0, 13, view.effective_now.strftime("%H:%M"))
    c.text(draw, 66, 13, view.effective_now.strftime("%Y"), 10)
    c.text(draw, 66, 24, view.effective_now.strftime("%d %b"), 10)
    c.clock_icon(draw, 0, 42, view.trusted)
    c.text(draw, 12, 40, "Trusted" if view.trusted else "NOT trusted")
    c.text(draw, 12, 52, _SOURCES.get(view.source, view.source))
    return image


def _problem(view: ProblemView) -> Image.Image:
    image, draw = c.blank()
    headline, advice = explain(view.problem)
    c.title(draw, f"! {headline}")
    lines = c.wrap(advice, c.COLUMNS)
    if view.detail:  # the advice first; the detail gets the lines it leaves (at least one)
        room = max(1, 4 - len(lines))
        detail = c.wrap(view.detail, c.COLUMNS)
        if len(detail) > room:
            detail = [*detail[:room - 1], c.fit(" ".join(detail[room - 1:]))]
        lines = [*lines[:4 - len(detail)], *detail]
    for row, line in enumerate(lines[:4]):
        c.text(draw, 0, 13 + row * c.LINE, line)
    return image


def _notice(view: NoticeView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, "! Settings" + (f" {view.number}/{view.count}" if view.count > 1 else ""))
    lines = c.wrap(view.text, c.COLUMNS)
    if len(lines) > 4:  # never silently cut: mark it
        lines = [*lines[:3], c.fit(lines[3] + "~~")]
    for row, line in enumerate(lines):
        c.text(draw, 0, 13 + row * c.LINE, line)
    return image


def _wipe_countdown(view: WipeCountdownView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, "PANIC WIPE")
    if view.ready:
        c.big_text(image, 4, 14, "LET GO")
        c.text(draw, 0, 40, "Release now: ERASE")
        c.text(draw, 0, 51, "all cargo and keys")
        return image
    total = c.finite(view.total, 0.0, 99.0)
    remaining = c.finite(view.remaining, 0.0, total)
    c.big_text(image, 4, 14, f"{math.ceil(remaining)}s")
    c.text(draw, 40, 14, "Keep holding", 14)
    c.text(draw, 40, 25, "to erase all", 14)
    elapsed = 1 - remaining / total if total else 1.0
    c.bar(draw, 0, 40, c.WIDTH, elapsed, height=9)
    c.text(draw, 0, 52, "Let go to cancel")
    return image


def _wiping(_view: WipingView) -> Image.Image:
    image, draw = c.blank()
    c.big_text(image, 4, 12, "Wiping")
    c.text(draw, 0, 40, "Erasing cargo and")
    c.text(draw, 0, 51, "keys. Do not unplug.")
    return image


def _wiped(_view: WipedView) -> Image.Image:
    image, draw = c.blank()
    c.big_text(image, 4, 12, "Wiped")
    c.text(draw, 0, 40, "Nothing left to read.")
    c.text(draw, 0, 51, "Press to start again")
    return image


def _update_offer(view: UpdateOfferView) -> Image.Image:
    image, draw = c.blank()
    c.title(draw, "Update found")
    versions = f"{view.current} -> {view.offered}" if view.current else f"New: {view.offered}"
    if len(versions) > c.COLUMNS:  # the version offered matters most: keep it whole if it can
        versions = f"-> {view.offered}"
    c.text(draw, 0, 13, versions)
    if view.source:
        c.text(draw, 0, 24, f"from {view.source}")
    draw.line((0, 38, c.WIDTH - 1, 38), fill=1)
    c.text(draw, 0, 41, "Hold 2 s: install")
    c.text(draw, 0, 52, "Press: not now")
    return image


def _updating(view: UpdatingView) -> Image.Image:
    image, draw = c.blank()
    y, rows = 13, 3
    if view.percent is None:
        c.title(draw, "Updating")
    else:
        percent = round(c.finite(view.percent, 0, 100))
        c.title(draw, f"Updating{percent:>11}%")  # 20 columns: the title's room
        c.bar(draw, 0, 14, c.WIDTH, percent / 100, height=9)
        y, rows = 26, 2
    lines = c.wrap(view.words, c.COLUMNS)
    if len(lines) > rows:  # never silently cut: mark it
        lines = [*lines[:rows - 1], c.fit(lines[rows - 1] + "~~")]
    for row, line in enumerate(lines):
        c.text(draw, 0, y + row * c.LINE, line)
    c.text(draw, 0, 52, "Keep power on")
    return image


_RENDERERS: dict[type, Callable[[Any], Image.Image]] = {
    ReadyView: _ready, SessionView: _session, ClientsView: _clients, TransferView: _transfer,
    InternetView: _internet, WifiView: _wifi, StorageView: _storage, ClockView: _clock,
    ProblemView: _problem, NoticeView: _notice,
    WipeCountdownView: _wipe_countdown, WipingView: _wiping, WipedView: _wiped,
    UpdateOfferView: _update_offer, UpdatingView: _updating,
}
