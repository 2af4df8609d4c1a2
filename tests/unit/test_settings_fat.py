"""The settings file on a real FAT file system (mkfs.vfat + mtools, no mount): edit, move, read."""

import shutil
import subprocess
from pathlib import Path

import pytest

from courier.commands.settings import template
from courier.settings_load import load_with_settings
from courier.settings_secrets import move_secrets

pytestmark = pytest.mark.skipif(
    shutil.which("mkfs.vfat") is None or shutil.which("mcopy") is None,
    reason="needs dosfstools and mtools")
ABSENT = Path("/nonexistent/courier.toml")


def _mtools(*argv: str) -> bytes:
    return subprocess.run(argv, check=True, capture_output=True, timeout=30,
                          env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"}).stdout


def _boot_partition(tmp_path: Path) -> Path:
    image = tmp_path / "boot.img"
    subprocess.run(["mkfs.vfat", "-C", "-n", "COURIERBOOT", str(image), "8192"], check=True,
                   capture_output=True, timeout=30)
    return image


def test_an_organiser_edit_on_windows_round_trips_through_fat(tmp_path: Path) -> None:
    image = _boot_partition(tmp_path)
    shipped = tmp_path / "shipped.toml"
    shipped.write_text(template())
    _mtools("mcopy", "-i", str(image), str(shipped), "::courier.toml")
    # The organiser opens it in Notepad: CRLF line ends, a byte order mark, country and a network.
    edited = _mtools("mtype", "-i", str(image), "::courier.toml").decode().replace(
        '#country = "KE"', 'country = "CD"').replace(
        '#[[uplink.wifi]]\n#name = "Office Wi-Fi"\n#passphrase = "the office passphrase"',
        '[[uplink.wifi]]\nname = "Bureau"\npassphrase = "tres-secret-99"')
    assert "tres-secret-99" in edited
    local = tmp_path / "edited.toml"
    local.write_bytes(b"\xef\xbb\xbf" + edited.replace("\n", "\r\n").encode())
    _mtools("mcopy", "-o", "-i", str(image), str(local), "::courier.toml")
    # At boot the device reads the partition (here: copied out, moved, copied back).
    on_device = tmp_path / "device" / "courier.toml"
    on_device.parent.mkdir()
    _mtools("mcopy", "-i", str(image), "::courier.toml", str(on_device))
    data = tmp_path / "data"
    assert move_secrets(on_device, data) == 1
    _mtools("mcopy", "-o", "-i", str(image), str(on_device), "::courier.toml")
    after = _mtools("mtype", "-i", str(image), "::courier.toml")
    assert b"tres-secret-99" not in after and b"was moved into the courier" in after
    assert after.startswith(b"\xef\xbb\xbf") and after.count(b"\r\n") == after.count(b"\n")
    listing = _mtools("mdir", "-i", str(image), "::").decode()
    assert "courier" in listing.lower() and ".new" not in listing.lower()
    config, settings = load_with_settings(ABSENT, on_device, {"device": {"data_dir": str(data)}})
    assert settings.problems == ()
    assert config.hotspot.country == "CD"
    assert [(n.name, n.passphrase) for n in config.uplink.wifi] == [("Bureau", "tres-secret-99")]
