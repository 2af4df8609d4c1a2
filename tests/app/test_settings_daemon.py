"""The running daemon takes the settings file: valid parts applied, problems logged and shown."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from courier.panel.present import NOTICE_SECONDS
from courier.panel.screens import render
from courier.panel.views import NoticeView
from tests.app.test_device_component import Device
from tests.conftest import REPO

pytestmark = pytest.mark.interop


def test_a_bad_settings_line_is_logged_shown_and_the_rest_applies(tmp_path: Path) -> None:
    boot = tmp_path / "boot" / "courier.toml"
    boot.parent.mkdir()
    boot.write_text('[device]\nname = "Card"\n\n[hotspot]\ncountry = "Kenya"\n')
    device = Device(tmp_path, extra=("--settings-file", str(boot)))
    try:
        device.wait_for('Settings file line 5: country must be two letters, e.g. "KE"')
        device.wait_for("status LED:")
        notice = 'Settings line 5: country must be two letters, e.g. "KE" (or "" when unknown)'
        expected = render(NoticeView(notice, 1, 1)).convert("1")
        deadline = time.monotonic() + 3 * NOTICE_SECONDS
        while True:  # the resting screen and the notice take turns
            if (device.data_dir / "sim" / "last.png").exists() and \
                    device.frame().convert("1").tobytes() == expected.tobytes():
                break
            assert time.monotonic() < deadline, "the panel never showed the notice"
            time.sleep(0.2)
        assert "no Wi-Fi country set" not in device.log.read_text()  # --no-network: no hotspot
    finally:
        assert device.stop() == 0
    shown = subprocess.run(
        [sys.executable, "-m", "courier", "config", "show", "--config", "/nonexistent",
         "--settings-file", str(boot)], cwd=REPO, capture_output=True, text=True, timeout=30,
        check=True)
    assert 'name = "Card"' in shown.stdout and 'country = ""' in shown.stdout
