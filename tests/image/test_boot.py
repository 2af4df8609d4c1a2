"""The SD image boots in qemu-system-aarch64 and serves (marker qemu; image-build/smoke-test)."""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import node_available
from tests.image.boot import DEFAULT_IMAGE, BootReport, boot
from tests.net.netns import can_make_namespaces

pytestmark = pytest.mark.qemu
IMAGE = os.environ.get("COURIER_IMAGE", str(DEFAULT_IMAGE))


@pytest.fixture(scope="module")
def report() -> BootReport:
    """One boot of the image, shared by the checks below."""
    if not os.path.exists(IMAGE):
        pytest.skip(f"no image at {IMAGE}: image-build/build-image builds one")
    for tool in ("qemu-system-aarch64", "qemu-img", "mcopy", "sfdisk", "mke2fs"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: run image-build/smoke-test")
    reason = can_make_namespaces()
    if reason:
        pytest.skip(reason)
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    return boot(Path(IMAGE))


@pytest.mark.timeout(1500)
def test_boots_with_no_failed_units(report: BootReport) -> None:
    assert report.smoke.get("failed-units") == "[]", report.console_tail[-80:]
    assert report.smoke.get("root-mount") == "ro"
    assert report.smoke.get("boot-mount") == "ro"


@pytest.mark.timeout(60)
def test_a_card_customised_by_imager_boots_to_serving_with_its_country_and_time_zone(
        report: BootReport) -> None:
    # Booted with Imager's kernel command line (sent to kernel-command-line.target), the courier
    # brought itself up, took the country and time zone, restored cmdline.txt for the next boot
    # and deleted firstrun.sh; the organiser's uplink passphrase left the card.
    assert report.smoke["imager-undone"] == "cmdline=0 firstrun=0"
    assert report.smoke["imager-journal"] == "1"
    assert report.smoke["settings"] == "country = KE time_zone = Africa/Nairobi"
    assert report.smoke["secret-on-card"] == "0"
    assert "serving" in report.smoke


@pytest.mark.timeout(60)
def test_courier_runs_under_its_sandbox(report: BootReport) -> None:
    uid, courier_uid = report.smoke["courier-user"].split()
    assert uid == courier_uid != "0"
    status = report.smoke["courier-status"]
    assert "CapEff:0000000000000000" in status
    assert "CapBnd:0000000000000000" in status
    assert "NoNewPrivs:1" in status
    assert "Seccomp:2" in status
    exposure = re.search(r"(\d+\.\d+)", report.smoke["security"])
    assert exposure and float(exposure.group(1)) <= 2.0


@pytest.mark.timeout(60)
def test_nobody_logs_in_to_a_release_image(report: BootReport) -> None:
    logins = dict(part.split("=") for part in report.smoke["logins"].split())
    assert logins["root"] == "L"  # locked: no password works
    assert logins["sshd"] == "0"
    if "-release-" in Path(IMAGE).resolve().name:
        assert logins["gettys"] == "0"


@pytest.mark.timeout(60)
def test_first_boot_made_secrets_and_grew_the_data_partition(report: BootReport) -> None:
    assert {"store.key", "tls.key"} <= set(report.smoke["firstboot-keys"].split())
    assert int(report.smoke["data-mb"]) > 1000  # 256 MiB in the image, the card is 1 GiB larger


@pytest.mark.timeout(60)
def test_cargo_from_the_official_client_is_acked_and_counted(report: BootReport) -> None:
    assert sorted(report.delivery["acked"]) == sorted(report.delivery["sent"])  # type: ignore[arg-type]
    assert '"cargo_to_internet": 2' in report.smoke["stored"]
    stored_bytes = re.search(r'"bytes": (\d+)', report.smoke["stored"])
    assert stored_bytes is not None
    assert int(stored_bytes.group(1)) > 1024 * 1024  # the big one, all there
    assert report.smoke["direct-refused"] == "0"  # and written with O_DIRECT


@pytest.mark.timeout(60)
def test_the_hardened_service_picks_the_cipher_the_cpu_is_fast_at(report: BootReport) -> None:
    # /proc/cpuinfo is hidden from the service (ProcSubset=pid): it reads the kernel's HWCAP.
    features = set(report.smoke["cpu-features"].split())
    expected = "aes-256-gcm" if {"aes", "pmull"} <= features else "chacha20-poly1305"
    assert report.smoke["cipher"] == expected


@pytest.mark.timeout(60)
def test_watchdog_restarts_a_hung_daemon_and_nothing_is_lost(report: BootReport) -> None:
    assert "restarts=1" in report.smoke["watchdog-restart"]
    assert int(report.smoke["watchdog-journal"]) >= 1
    assert '"cargo_to_internet": 2' in report.smoke["stored-after-restart"]
    assert report.exit_code == 0
