"""The SD image boots in qemu-system-aarch64 and serves (marker qemu; image-build/smoke-test)."""

import os
import re
import shutil
from pathlib import Path

import pytest

from courier.net.credentials import generate_wifi_credentials
from tests.conftest import node_available
from tests.image.boot import DEFAULT_IMAGE, BootReport, boot
from tests.net.netns import can_make_namespaces

pytestmark = pytest.mark.qemu
IMAGE = os.environ.get("COURIER_IMAGE", str(DEFAULT_IMAGE))
# The card boots customised as Raspberry Pi Imager does, with an uplink passphrase written in the
# boot partition's courier.toml: both secrets are moved off the card into keys/ at first boot.
FIRSTBOOT_KEYS = {"store.key", "tls.key", "tls.crt", "wifi.json", "imager.json",
                  "uplink-wifi.json"}
# protocol|address:port|process of every listening TCP and unconnected UDP socket in the guest:
# CogRPC (the firewall keeps it to the hotspot and LANs), the resolver's local stubs, and the
# uplink's DHCP client on qemu's user network (always 10.0.2.15).
LISTENING = {
    "tcp|*:21473|courier",
    "tcp|127.0.0.53%lo:53|systemd-resolve", "udp|127.0.0.53%lo:53|systemd-resolve",
    "tcp|127.0.0.54:53|systemd-resolve", "udp|127.0.0.54:53|systemd-resolve",
    "udp|10.0.2.15%eth0:68|systemd-network",
}


def need_image() -> None:
    """Skip the calling test when no image was built (CI refuses that skip)."""
    if not os.path.exists(IMAGE):
        pytest.skip(f"no image at {IMAGE}: image-build/build-image builds one")


@pytest.fixture(scope="module")
def report() -> BootReport:
    """One boot of the image, shared by the checks below."""
    need_image()
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
    assert set(report.smoke["firstboot-keys"].split()) == FIRSTBOOT_KEYS
    assert int(report.smoke["data-mb"]) > 1000  # 256 MiB in the image, the card is 1 GiB larger


@pytest.mark.timeout(60)
def test_first_boot_made_wifi_credentials_the_daemon_can_load(report: BootReport) -> None:
    # Read by the guest with the courier's own loader; only its shape leaves the device.
    length = len(generate_wifi_credentials().passphrase)
    assert report.smoke["wifi-json"] == (
        f"mode=600 owner=courier keys=passphrase,ssid ssid-ok=1 passphrase-chars={length}")


@pytest.mark.timeout(60)
def test_only_the_expected_sockets_listen(report: BootReport) -> None:
    listening = set(report.smoke["listening"].split())
    assert listening == LISTENING, (listening - LISTENING, LISTENING - listening)


@pytest.mark.timeout(60)
def test_cargo_from_the_official_client_is_acked_and_counted(report: BootReport) -> None:
    acked, sent = report.delivery["acked"], report.delivery["sent"]
    assert isinstance(acked, list) and isinstance(sent, list)
    assert sorted(acked) == sorted(sent)
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
    assert report.smoke["restarts-before"] == "0"
    restart = dict(part.split("=", 1) for part in report.smoke["watchdog-restart"].split())
    assert restart["restarts"] == "1"  # exactly one: the watchdog's, nothing crashed before
    assert report.smoke["watchdog-journal"] == "1"
    assert '"cargo_to_internet": 2' in report.smoke["stored-after-restart"]
    assert report.exit_code == 0
