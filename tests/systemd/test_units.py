"""The systemd units: `systemd-analyze verify` passes, and the daemon's sandbox rates OK."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

UNITS = ("courier.service", "courier-net.service", "courier-firstboot.service",
         "courier-growdata.service", "courier-settings.service", "courier-update.service",
         "courier-update-health.service")
SYSTEMD = REPO / "systemd"
VENV_COURIER = REPO / ".venv" / "bin" / "courier"
GROW_DATA = REPO / "image-build" / "overlay" / "usr" / "lib" / "courier" / "grow-data"


@pytest.fixture
def units(tmp_path: Path) -> Path:
    """The units with ExecStart pointing at this checkout's courier (as /opt/courier/venv is)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    for name in UNITS:
        text = (SYSTEMD / name).read_text()
        text = text.replace("/opt/courier/venv/bin/courier", str(VENV_COURIER))
        text = text.replace("/opt/courier/venv/bin/python", str(VENV_COURIER.with_name("python")))
        (tmp_path / name).write_text(text.replace("/usr/lib/courier/grow-data", str(GROW_DATA)))
    return tmp_path


def test_every_unit_verifies(units: Path) -> None:
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *UNITS], cwd=units,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


def _exposure(units: Path, name: str) -> float:
    result = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(units / name)],
                            capture_output=True, text=True, timeout=60, check=False)
    found = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert found, result.stdout[-2000:] + result.stderr
    return float(found.group(1))


def test_daemon_that_parses_network_input_is_sandboxed_ok(units: Path) -> None:
    assert _exposure(units, "courier.service") <= 2.0


def test_daemon_holds_no_capabilities_and_reaches_only_its_devices() -> None:
    text = (SYSTEMD / "courier.service").read_text()
    assert re.search(r"^CapabilityBoundingSet=$", text, re.MULTILINE)
    assert "DevicePolicy=closed" in text
    allowed = re.findall(r"^DeviceAllow=(\S+)", text, re.MULTILINE)
    assert allowed == ["/dev/gpiochip0", "/dev/i2c-1", "/dev/rtc0"]
    assert re.search(r"^Type=notify$", text, re.MULTILINE)
    assert re.search(r"^WatchdogSec=\d+", text, re.MULTILINE)


def test_network_helper_has_only_network_capabilities(units: Path) -> None:
    text = (SYSTEMD / "courier-net.service").read_text()
    line = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.MULTILINE)
    assert line is not None
    caps = set(line.group(1).split())
    assert "CAP_SYS_ADMIN" not in caps
    assert "CAP_NET_ADMIN" in caps
    assert _exposure(units, "courier-net.service") < 5.0


def test_update_helper_mounts_sticks_where_rauc_sees_them_and_has_no_network(units: Path) -> None:
    text = (SYSTEMD / "courier-update.service").read_text()
    line = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.MULTILINE)
    assert line is not None
    assert set(line.group(1).split()) == {"CAP_SYS_ADMIN", "CAP_DAC_READ_SEARCH"}
    # Any of these gives the service its own mount namespace: rauc would not see the stick.
    for private in ("ProtectSystem=", "PrivateTmp=", "ReadWritePaths=", "ProtectHome=",
                    "PrivateDevices=", "TemporaryFileSystem="):
        assert not re.search(rf"^{private}", text, re.MULTILINE), private
    assert re.search(r"^RestrictAddressFamilies=AF_UNIX$", text, re.MULTILINE)
    assert "--download /var/lib/courier/update/bundle.raucb" in text
    assert _exposure(units, "courier-update.service") < 5.0


def test_sysusers_creates_the_user_in_a_scratch_root(tmp_path: Path) -> None:
    if shutil.which("systemd-sysusers") is None:
        pytest.skip("systemd-sysusers is not installed")
    (tmp_path / "etc").mkdir()
    result = subprocess.run(["systemd-sysusers", f"--root={tmp_path}",
                             str(SYSTEMD / "sysusers.d" / "courier.conf")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    passwd = (tmp_path / "etc" / "passwd").read_text()
    assert re.search(r"^courier:x:\d+:\d+:Awala courier:/var/lib/courier:/usr/sbin/nologin$",
                     passwd, re.MULTILINE)
    group = (tmp_path / "etc" / "group").read_text()
    assert re.search(r"^gpio:x:\d+:courier$", group, re.MULTILINE)
    assert re.search(r"^i2c:x:\d+:courier$", group, re.MULTILINE)


def test_hardware_watchdog_stays_within_the_bcm2835_limit() -> None:
    text = (SYSTEMD / "system.conf.d" / "watchdog.conf").read_text()
    line = re.search(r"^RuntimeWatchdogSec=(\d+)s$", text, re.MULTILINE)
    assert line is not None
    seconds = int(line.group(1))
    assert seconds <= 15


def test_journal_is_volatile() -> None:
    assert "Storage=volatile" in (SYSTEMD / "journald.conf.d" / "courier.conf").read_text()


def _setting(text: str, key: str) -> list[str]:
    """Return the values of `key=` lines of a unit."""
    return re.findall(rf"^{key}=(.*)$", text, re.MULTILINE)


def test_the_wifi_uplink_client_writes_only_where_courier_net_may() -> None:
    from courier.config import UplinkWifi  # noqa: PLC0415
    from courier.net.client_mode import ClientMode  # noqa: PLC0415

    text = (SYSTEMD / "courier-net.service").read_text()
    assert _setting(text, "ProtectSystem") == ["strict"]
    (exec_start,) = _setting(text, "ExecStart")
    run_dir = Path(exec_start.split("--run-dir ")[1].split()[0])
    writable = [Path(p) for line in _setting(text, "ReadWritePaths") for p in line.split()]
    writable += [Path("/run") / name for name in _setting(text, "RuntimeDirectory")]
    client = ClientMode("wlan0", [UplinkWifi("Office", passphrase="office-pass-1")], "KE",
                        run_dir)
    for path in client.files:
        assert any(path.is_relative_to(allowed) for allowed in writable), path
    # dhclient's own script would write /etc/resolv.conf: ours is the image's, in the overlay.
    script = REPO / "image-build" / "overlay" / client.dhclient_script.relative_to("/")
    assert script.stat().st_mode & 0o111
    assert "CAP_NET_ADMIN" in _setting(text, "CapabilityBoundingSet")[0]  # resolved's check
    assert "AF_UNIX" in _setting(text, "RestrictAddressFamilies")[0]  # D-Bus


def _run_dhclient_script(tmp_path: Path, reason: str) -> tuple[str, list[str]]:
    """Run the image's dhclient script with stand-ins for Debian's script and resolvectl."""
    debian, resolvectl = tmp_path / "debian-script", tmp_path / "bin" / "resolvectl"
    resolvectl.parent.mkdir(exist_ok=True)
    debian.write_text(f'#!/bin/sh\nenv > "{tmp_path}/debian-env"\n')
    resolvectl.write_text(f'#!/bin/sh\necho "$@" >> "{tmp_path}/resolvectl"\n')
    for program in (debian, resolvectl):
        program.chmod(0o755)
    env = {"PATH": f"{resolvectl.parent}:/usr/bin:/bin", "reason": reason, "interface": "wlan9",
           "new_domain_name_servers": "192.0.2.53 192.0.2.54", "new_domain_name": "office.lan",
           "new_host_name": "office-guest-7", "new_ip_address": "192.0.2.77",
           "COURIER_DEBIAN_DHCLIENT_SCRIPT": str(debian)}
    script = REPO / "image-build" / "overlay" / "usr" / "lib" / "courier" / "dhclient-script"
    subprocess.run([str(script)], env=env, check=True, timeout=30)
    calls = tmp_path / "resolvectl"
    return ((tmp_path / "debian-env").read_text(),
            calls.read_text().splitlines() if calls.exists() else [])


def test_the_uplinks_name_servers_go_to_resolved_and_never_to_resolv_conf(tmp_path: Path) -> None:
    debian_env, calls = _run_dhclient_script(tmp_path, "BOUND")
    # Debian's script still sets the address, but has no name server or host name to write.
    assert "new_ip_address=192.0.2.77" in debian_env
    for name in ("new_domain_name_servers", "new_domain_name", "new_host_name"):
        assert f"{name}=" not in debian_env
    assert calls == ["dns wlan9 192.0.2.53 192.0.2.54", "domain wlan9 ~."]
    (tmp_path / "resolvectl").unlink()
    _, calls = _run_dhclient_script(tmp_path, "RELEASE")  # leaving: resolved forgets them
    assert calls == ["revert wlan9"]
