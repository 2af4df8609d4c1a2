"""hostapd with our configuration on mac80211_hwsim radios in a qemu guest (marker qemu)."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.qemu


@pytest.mark.timeout(1500)
def test_wpa2_and_wpa3_phones_associate_lease_and_reach_only_cogrpc() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (mmdebstrap)")
    for tool in ("mmdebstrap", "qemu-system-x86_64", "cpio"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed: run scripts/test-qemu")
    result = subprocess.run([sys.executable, "-m", "tests.net.hwsim.run"], cwd=REPO,
                            capture_output=True, text=True, timeout=1400, check=False)
    print(result.stdout[-4000:])
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "WPA2 and WPA3 phones served" in result.stdout
    assert "the daemon's Wi-Fi sequence synced through it and left" in result.stdout
