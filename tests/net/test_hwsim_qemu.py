"""hostapd with our configuration on mac80211_hwsim radios in a qemu guest (marker qemu).

The same guest then runs the whole courier on the office network: set up from a FAT boot
partition, a press joins the office Wi-Fi and syncs with the official JS Internet-gateway double
running here (tests/net/hwsim/daemon_guest.py).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cogrpc.conftest import World, world  # noqa: F401 - world is a fixture
from tests.conftest import REPO
from tests.internet.conftest import StartDouble, start_double, stock  # noqa: F401 - a fixture
from tests.net.hwsim.daemon_host import DaemonInputs, boot_disk, boot_file
from tests.net.hwsim.run import OFFICE

pytestmark = pytest.mark.qemu
WRONG = "wrong-office-key-1"
SETTINGS = f"""# Written by an organiser right after flashing.
[hotspot]
country = "DE"

[[uplink.wifi]]
name = "Office"
passphrase = "{WRONG}"

[[uplink.wifi]]
name = "Elsewhere"
passphrase = "elsewhere-key-1"
"""


def _sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.timeout(1800)
def test_wpa2_and_wpa3_phones_associate_lease_and_reach_only_cogrpc(
        tmp_path: Path, world: World, start_double: StartDouble,  # noqa: F811
) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root (mmdebstrap)")
    for tool in ("mmdebstrap", "qemu-system-x86_64", "cpio", "mkfs.vfat", "mtype"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed: run scripts/test-qemu")
    double = start_double("normal")
    data_dir = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "courier", "init", "--data-dir", str(data_dir),
                    "--config", "/nonexistent"], cwd=REPO, check=True, capture_output=True,
                   timeout=60)
    cargo = stock(data_dir, world, [0])["cargo"]
    disk = boot_disk(tmp_path / "boot.img", SETTINGS)
    inputs = tmp_path / "daemon.json"
    inputs.write_text(DaemonInputs(str(data_dir), str(double.ca), double.port, str(disk), WRONG,
                                   OFFICE.passphrase).to_json())
    result = subprocess.run([sys.executable, "-m", "tests.net.hwsim.run"], cwd=REPO,
                            capture_output=True, text=True, timeout=1700, check=False,
                            env={**os.environ, "HWSIM_DAEMON": str(inputs)})
    print(result.stdout[-6000:])
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "WPA2 and WPA3 phones served" in result.stdout
    assert "the daemon's Wi-Fi sequence synced through it and left" in result.stdout
    assert "the whole courier, set up from its boot partition, synced" in result.stdout
    # The double got each cargo, valid, once (none went out with the wrong passphrase: the
    # guest saw the store unchanged after it).
    delivered = [e for e in double.events() if e["call"] == "deliver"]
    assert all(e.get("valid") for e in delivered), delivered
    assert sorted(str(e.get("sha256")) for e in delivered) == sorted(map(_sha256, cargo))
    on_card = boot_file(disk)
    assert WRONG not in on_card and OFFICE.passphrase not in on_card
    assert 'passphrase = ""' in on_card
    results = json.loads(inputs.with_suffix(".results.json").read_text())
    phase = next(r for r in results if r["phase"] == "daemon")
    print(json.dumps({k: phase[k] for k in ("before", "blanked")}))
