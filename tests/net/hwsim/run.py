"""Check our hostapd/dnsmasq/nftables files on real mac80211_hwsim radios in a qemu guest.

Usage (root): .venv/bin/python -m tests.net.hwsim.run
Builds (once, cached by package list) a small Debian amd64 guest with mmdebstrap, boots it with
our rendered configurations, and checks that a WPA2 and a WPA3-SAE phone associate, get a lease
with the courier as DHCP server and router, reach CogRPC and are refused elsewhere.
"""

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns
import pyroute2

from courier.config import UplinkWifi
from courier.net.credentials import WifiCredentials, generate_wifi_credentials
from courier.net.plan import HotspotPlan, make_plan
from courier.net.radio import WORLD_CHANNELS, choose_channel
from courier.net.render import RadioSettings, render_dnsmasq, render_hostapd, render_nftables
from courier.net.wpa import refused_key, render_wpa_supplicant, scan_results
from tests.net.hwsim.daemon_host import DaemonInputs, daemon_problems
from tests.net.hwsim.daemon_host import stage as stage_daemon

HERE = Path(__file__).resolve().parent
NET_TESTS = HERE.parent
REPO_COURIER = NET_TESTS.parent.parent / "courier"
DHCLIENT_HOOK = NET_TESTS.parent.parent / "image-build/overlay/usr/lib/courier/dhclient-script"
CACHE = Path(os.environ.get("COURIER_HWSIM_CACHE", "/var/cache/courier-hwsim"))
PACKAGES = [line.split("#")[0].strip() for line in (HERE / "packages.txt").read_text().splitlines()
            if line.split("#")[0].strip()]


def base_guest() -> tuple[Path, Path]:
    """Return (kernel, base initramfs), building them once per package list."""
    key = hashlib.sha256("\n".join([*PACKAGES, *KEEP_MODULES]).encode()).hexdigest()[:16]
    folder = CACHE / key
    kernel, initramfs = folder / "vmlinuz", folder / "base.cpio.gz"
    if kernel.exists() and initramfs.exists():
        return kernel, initramfs
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as work:
        root = Path(work) / "root"
        print(f"building the hwsim guest ({len(PACKAGES)} packages) ...", flush=True)
        subprocess.run(
            ["mmdebstrap", "--variant=minbase", "--mode=root", "--quiet",
             f"--include={','.join(PACKAGES)}",
             "bookworm", str(root)], check=True)
        vmlinuz = Path(work) / "vmlinuz"
        shutil.copy(sorted((root / "boot").glob("vmlinuz-*"))[-1], vmlinuz)
        _prune(root)
        _cpio(root, Path(work) / "base.cpio.gz")
        # Into the cache only once complete: a failed build must not leave a usable-looking entry.
        shutil.copy(Path(work) / "base.cpio.gz", initramfs)
        shutil.copy(vmlinuz, kernel)
    return kernel, initramfs


# Module trees the guest needs (Wi-Fi, netfilter, crypto for CCMP/PMF); the rest of the kernel's
# modules and all documentation are dropped so the initramfs unpacks in seconds under emulation.
KEEP_MODULES = ("kernel/net", "kernel/crypto", "kernel/lib", "kernel/arch",
                "kernel/drivers/net/wireless/mac80211_hwsim", "kernel/drivers/virtio",
                # the whole-courier phase: qemu's NIC (the office's way out), the FAT boot disk
                "kernel/drivers/net/virtio_net.ko", "kernel/drivers/net/net_failover.ko",
                "kernel/drivers/block/virtio_blk.ko", "kernel/fs/fat", "kernel/fs/nls")
DROP = ("boot", "usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info",
        "usr/share/zoneinfo", "var/cache/apt", "var/lib/apt/lists", "usr/share/i18n",
        "usr/lib/udev/hwdb.d", "usr/lib/udev/hwdb.bin", "usr/lib/x86_64-linux-gnu/gconv",
        "usr/share/perl", "usr/lib/x86_64-linux-gnu/perl", "var/lib/dpkg/info")


def _prune(root: Path) -> None:
    for relative in DROP:
        shutil.rmtree(root / relative, ignore_errors=True)
    for release in (root / "lib" / "modules").iterdir():
        kernel_dir = release / "kernel"
        for path in sorted(kernel_dir.rglob("*"), reverse=True):
            relative = str(path.relative_to(release))
            keep = any(relative.startswith(k) or k.startswith(relative) for k in KEEP_MODULES)
            if not keep:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        subprocess.run(["chroot", str(root), "/sbin/depmod", release.name], check=True)


def _cpio(root: Path, out: Path) -> None:
    files = subprocess.run(["find", ".", "-mindepth", "1"], cwd=root, check=True,
                           capture_output=True).stdout
    with out.open("wb") as sink:
        cpio = subprocess.Popen(["cpio", "--quiet", "-o", "-H", "newc"], cwd=root,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        gzip = subprocess.Popen(["gzip", "-1"], stdin=cpio.stdout, stdout=sink)
        assert cpio.stdin is not None and cpio.stdout is not None
        cpio.stdin.write(files)
        cpio.stdin.close()
        cpio.stdout.close()
        if cpio.wait() != 0 or gzip.wait() != 0:
            raise RuntimeError("cpio failed")


def overlay(stage: Path, daemon: DaemonInputs | None = None) -> None:
    """Write /init and /etc/courier-test with our rendered configurations (and the courier's)."""
    test = stage / "etc" / "courier-test"
    test.mkdir(parents=True)
    plan = make_plan("wlan0", "10.97.0.0/24")
    creds = generate_wifi_credentials()
    for phase, wpa3 in (("wpa2", False), ("wpa3", True)):
        # WPA2 with the default (no country) and a channel not allowed everywhere: the courier
        # must fall back to a world channel; WPA3 with a country and its rules.
        country, wanted = ("", 13) if phase == "wpa2" else ("DE", 6)
        channel, _ = choose_channel(country, wanted, None)
        radio = RadioSettings(country=country, channel=channel, max_clients=10, wpa3=wpa3)
        (test / f"hostapd-{phase}.conf").write_text(
            render_hostapd(plan, creds, radio, "/run/hostapd"))
        key_mgmt = "SAE\n  ieee80211w=2" if wpa3 else "WPA-PSK"
        (test / f"wpa-{phase}.conf").write_text(
            "ctrl_interface=/run/wpa_supplicant\n"
            f'network={{\n  ssid="{creds.ssid}"\n  psk="{creds.passphrase}"\n'
            f"  key_mgmt={key_mgmt}\n}}\n")
    (test / "dnsmasq.conf").write_text(render_dnsmasq(plan, "/run/courier-net"))
    _uplink_files(test, plan)
    if daemon is not None:
        shutil.copy(HERE / "daemon_guest.py", test / "daemon_guest.py")
        stage_daemon(daemon, test / "daemon")
    (test / "nftables.nft").write_text(render_nftables(["wlan0"], []))
    shutil.copy(NET_TESTS / "listener.py", test / "listener.py")
    shutil.copy(HERE / "probe.py", test / "probe.py")
    script = test / "dhclient-script"
    from tests.net.test_hotspot_netns import DHCLIENT_SCRIPT  # noqa: PLC0415

    script.write_text(DHCLIENT_SCRIPT.replace("{out}", "/tmp/lease.json"))
    script.chmod(0o755)
    init = stage / "init"
    shutil.copy(HERE / "guest-init", init)
    init.chmod(0o755)


OFFICE = WifiCredentials(ssid="Office", passphrase="office-passphrase-1")


def _uplink_files(test: Path, plan: HotspotPlan) -> None:
    """Radio 0 as "the office network"; the courier's uplink configs, right and wrong."""
    radio = RadioSettings(country="DE", channel=1, max_clients=10, wpa3=False)
    (test / "hostapd-office.conf").write_text(render_hostapd(plan, OFFICE, radio, "/run/hostapd"))
    known = {"right": [UplinkWifi("Elsewhere", passphrase="not-in-range-1"),
                       UplinkWifi(OFFICE.ssid, passphrase=OFFICE.passphrase)],
             "wrong": [UplinkWifi(OFFICE.ssid, passphrase="not-the-passphrase")]}
    (test / "office-passphrase").write_text(OFFICE.passphrase)
    for script in ("uplink_client.py", "uplink_sequence.py", "gateway_double.py"):
        shutil.copy(HERE / script, test / script)
    # The courier package and the two pure-Python libraries the Wi-Fi sequence needs (the guest's
    # Python is the same minor version); the image's dhclient script where ClientMode looks.
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_COURIER, test / "src" / "courier", ignore=skip)
    shutil.copytree(REPO_COURIER.parent / "hw", test / "src" / "hw", ignore=skip)
    for package in (pyroute2, dns):
        folder = Path(str(package.__file__)).parent
        shutil.copytree(folder, test / "src" / folder.name, ignore=skip)
    hook = test.parent.parent / "usr" / "lib" / "courier" / "dhclient-script"
    hook.parent.mkdir(parents=True)
    shutil.copy(DHCLIENT_HOOK, hook)
    hook.chmod(0o755)
    for attempt, networks in known.items():
        (test / f"wpa-uplink-{attempt}.conf").write_text(
            render_wpa_supplicant(networks, "DE", "/run/wpa-uplink"))


def boot(kernel: Path, initramfs: Path, timeout: float,
         daemon: DaemonInputs | None = None) -> list[dict[str, object]]:
    """Boot the guest and return its HWSIM-RESULT records."""
    with tempfile.TemporaryDirectory() as work:
        stage, combined = Path(work) / "stage", Path(work) / "initramfs.gz"
        overlay(stage, daemon)
        _cpio(stage, Path(work) / "overlay.cpio.gz")
        with combined.open("wb") as sink:
            for part in (initramfs, Path(work) / "overlay.cpio.gz"):
                sink.write(part.read_bytes())
        # TCG: KVM is not usable on these build machines (DEVICE.md).
        argv = ["qemu-system-x86_64", "-accel", "tcg", "-m", "2048",
                "-smp", "2", "-nographic", "-no-reboot", "-kernel", str(kernel),
                "-initrd", str(combined), "-append",
                "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=3"]
        if daemon is not None:  # the office's way to the host (the double), the boot partition
            argv += ["-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0",
                     "-drive", f"if=none,id=boot,file={daemon.disk},format=raw",
                     "-device", "virtio-blk-pci,drive=boot"]
        started = time.monotonic()
        out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                             check=False, stdin=subprocess.DEVNULL).stdout
        print(f"guest ran {time.monotonic() - started:.0f} s", flush=True)
    lines = [line for line in out.splitlines() if line.startswith(("HWSIM", "Kernel panic"))]
    if os.environ.get("HWSIM_VERBOSE"):
        print(out[-6000:])
    print("\n".join(lines), flush=True)
    return [json.loads(line.split(" ", 1)[1]) for line in lines
            if line.startswith("HWSIM-RESULT")]


def check(results: list[dict[str, object]]) -> list[str]:
    """Return what went wrong, phase by phase."""
    problems: list[str] = []
    phases = {str(r.get("phase")): r for r in results}
    for phase, key_mgmt in (("wpa2", "WPA2-PSK"), ("wpa3", "SAE")):
        result = phases.get(phase)
        if result is None:
            problems.append(f"{phase}: no result")
            continue
        lease = result.get("lease")
        probes = str(result.get("probes"))
        if result.get("associated") != "yes":
            problems.append(f"{phase}: the phone did not associate")
        if result.get("key_mgmt") != key_mgmt:
            problems.append(f"{phase}: key management {result.get('key_mgmt')}, not {key_mgmt}")
        if not isinstance(lease, dict) or lease.get("server") != "10.97.0.1" \
                or lease.get("routers") != "10.97.0.1":
            problems.append(f"{phase}: lease {lease} does not name the courier as server+router")
        if "'port': 21473, 'outcome': 'connected'" not in probes:
            problems.append(f"{phase}: CogRPC port not reachable: {probes}")
        if "'port': 8080, 'outcome': 'ECONNREFUSED'" not in probes:
            problems.append(f"{phase}: another port was not refused: {probes}")
        regulatory = (result.get("channel"), result.get("country"))
        if phase == "wpa2" and (regulatory[0] not in WORLD_CHANNELS or regulatory[1] != "00"):
            problems.append(f"wpa2 (no country): channel/country {regulatory}, not a world "
                            "channel in domain 00")
        if phase == "wpa3" and regulatory != (6, "DE"):
            problems.append(f"wpa3 (country DE): channel/country {regulatory}, not (6, 'DE')")
    return problems + _uplink_problems(phases)


def _uplink_problems(phases: dict[str, dict[str, object]]) -> list[str]:
    """The courier's wpa_supplicant config joins the office network, and a wrong key is told."""
    right, wrong = phases.get("uplink-right"), phases.get("uplink-wrong")
    if right is None or wrong is None:
        return ["uplink: no result"]
    problems = []
    seen = scan_results(base64.b64decode(str(right.get("scan", ""))).decode(errors="replace"))
    if "Office" not in seen or "Elsewhere" in seen:
        problems.append(f"uplink: scan results {seen} do not show the office network alone")
    lease = right.get("lease")
    if right.get("connected") != 1 or not isinstance(lease, dict) or \
            lease.get("server") != "10.97.0.1":
        problems.append(f"uplink: did not join the office network and get a lease: {right}")
    problems += _client_problems(phases) + _sequence_problems(phases)
    events = base64.b64decode(str(wrong.get("events", ""))).decode(errors="replace")
    if wrong.get("connected") != 0 or not refused_key(events):
        problems.append(f"uplink: a wrong passphrase was not recognised: {events[-500:]}")
    return problems


def _client_problems(phases: dict[str, dict[str, object]]) -> list[str]:
    """courier.net.client_mode joins, gets a lease, reaches the office, leaves; tells a bad key."""
    right, wrong = phases.get("uplink-client-right"), phases.get("uplink-client-wrong")
    if right is None or wrong is None:
        return ["uplink client: no result"]
    problems = []
    scan = right.get("scan")
    if not isinstance(scan, dict) or set(scan) != {"Office"}:
        problems.append(f"uplink client: scan {scan} does not show the office network alone")
    if (right.get("joined"), right.get("addressed"), right.get("reached")) != (True, True, True):
        problems.append(f"uplink client: did not join, address and reach the office: {right}")
    if wrong.get("joined") is not False or "addressed" in wrong:
        problems.append(f"uplink client: a wrong passphrase was not told: {wrong}")
    for result in (right, wrong):
        if result.get("left") is not True or result.get("log_has_passphrase") is not False:
            problems.append(f"uplink client: not left, or the passphrase leaked: {result}")
    return problems


def _sequence_problems(phases: dict[str, dict[str, object]]) -> list[str]:
    """The daemon's Wi-Fi sequence through courier-net: synced and left; a bad key said in words."""
    right, wrong = phases.get("uplink-sequence-right"), phases.get("uplink-sequence-wrong")
    if right is None or wrong is None:
        return ["uplink sequence: no result"]
    problems = []
    said = right.get("said")
    if right.get("ok") is not True or not isinstance(said, list) or "Joining Office" not in said:
        problems.append(f"uplink sequence: did not join the office network and sync: {right}")
    if right.get("received") != ["cargo-for-gateway.office"]:
        problems.append(f"uplink sequence: the gateway behind the office got {right}")
    said = wrong.get("said")
    if wrong.get("failure") != "WRONG_PASSPHRASE" or not isinstance(said, list) \
            or said[-1:] != ["Wrong Wi-Fi passphrase for Office"]:
        problems.append(f"uplink sequence: a wrong passphrase was not said: {wrong}")
    if wrong.get("received") != right.get("received"):
        problems.append(f"uplink sequence: cargo went out with a wrong passphrase: {wrong}")
    for result in (right, wrong):
        if result.get("left") is not True or result.get("client") is not False:
            problems.append(f"uplink sequence: the network was not left: {result}")
    return problems


def main() -> int:
    """Build if needed, boot, check; exit 0 only if every phase passed."""
    if os.geteuid() != 0:
        print("the hwsim check needs root (mmdebstrap)", file=sys.stderr)
        return 2
    kernel, initramfs = base_guest()
    given = os.environ.get("HWSIM_DAEMON")  # tests/net/test_hwsim_qemu.py prepares it
    daemon = DaemonInputs.from_json(Path(given).read_text()) if given else None
    results = boot(kernel, initramfs, float(os.environ.get("HWSIM_TIMEOUT", "900")), daemon)
    problems = check(results)
    if daemon is not None:
        problems += daemon_problems(next((r for r in results if r.get("phase") == "daemon"), None))
        Path(str(given)).with_suffix(".results.json").write_text(json.dumps(results))
    served = ("hwsim: WPA2 and WPA3 phones served; the uplink joined the office network and "
              "told a wrong passphrase; the daemon's Wi-Fi sequence synced through it and left")
    if daemon is not None:
        served += "; the whole courier, set up from its boot partition, synced through it"
    print("\n".join(problems) if problems else served, flush=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
