"""A signed A/B update of the SD image in qemu: kept when healthy, rolled back when not.

Run by scripts/test-update, which builds what it needs. Needs the image (image-build/out, built
without --update-ca: its test CA's keys sign the bundles) and a newer build of the same sources for
the bundle, made with:
  COURIER_BUILD_VERSION=0.1.1 image-build/build-image \
      --update-ca image-build/out/test-update-keys/ca.cert.pem image-build/out/next
The broken bundle is that root with a courier that exits at once (debugfs, no mount).
"""

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import node_available
from tests.image.test_boot import IMAGE, need_image
from tests.image.update_run import Boot, run_update
from tests.net.netns import can_make_namespaces

pytestmark = [pytest.mark.qemu, pytest.mark.update]
REPO = Path(__file__).resolve().parents[2]
OUT = Path(IMAGE).resolve().parent
NEXT_ROOT = Path(os.environ.get("COURIER_NEXT_ROOT", OUT / "next" / "courier.root.ext4"))
KEYS = Path(os.environ.get("COURIER_UPDATE_KEYS", OUT / "test-update-keys"))
BROKEN_COURIER = ("#!/bin/sh\necho 'courier: this build is broken on purpose (update test)' >&2\n"
                  "exit 1\n")


def make_bundle(root: Path, version: str, out: Path, keys: Path = KEYS) -> Path:
    """Sign `root` as a bundle (image-build/make-bundle), with the image's test keys by default."""
    subprocess.run([REPO / "image-build" / "make-bundle", root, version, keys, out], check=True,
                   capture_output=True, timeout=900)
    return out


def foreign_bundle(version: str, work: Path) -> Path:
    """Return a small bundle signed under another organisation's CA (refused by the device)."""
    keys = work / "other-keys"
    subprocess.run([REPO / "image-build" / "make-update-keys", keys, "Another organisation"],
                   check=True, capture_output=True, timeout=120)
    content = work / "tiny"
    content.mkdir()
    (content / "noise").write_bytes(os.urandom(65536))  # rauc wants more than 4 KiB of squashfs
    root = work / "tiny.ext4"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(content), str(root), "8M"],
                   check=True, timeout=60)
    return make_bundle(root, version, work / f"courier-{version}-other-ca.raucb", keys)


def bump(version: str) -> str:
    """Return the next patch version: 0.1.1 -> 0.1.2."""
    major_minor, _, patch = version.rpartition(".")
    return f"{major_minor}.{int(patch) + 1}"


def broken_root(root: Path, work: Path) -> Path:
    """Return a copy of `root` whose courier executable exits with an error (debugfs -w)."""
    copy = work / "broken.root.ext4"
    subprocess.run(["cp", "--sparse=always", str(root), str(copy)], check=True, timeout=600)
    script = work / "courier"
    script.write_text(BROKEN_COURIER)
    target = "/opt/courier/venv/bin/courier"
    commands = f"rm {target}\nwrite {script} {target}\nsif {target} mode 0100755\n"
    subprocess.run(["debugfs", "-w", "-f", "-", str(copy)], input=commands, text=True,
                   check=True, capture_output=True, timeout=120)
    shown = subprocess.run(["debugfs", "-R", f"cat {target}", str(copy)], capture_output=True,
                           text=True, check=True, timeout=60).stdout
    assert shown == BROKEN_COURIER
    return copy


@pytest.fixture(scope="module")
def bundles() -> Iterator[tuple[Path, Path, Path, str]]:
    """The newer build's bundle, the broken one, one from another CA, and the newer version.

    The broken bundle says it is one version newer still (the helper offers only newer ones).
    """
    need_image()
    if not NEXT_ROOT.exists() or not (KEYS / "signing.key").exists():
        pytest.skip(f"no newer build at {NEXT_ROOT} or no keys in {KEYS}: see this module's doc")
    for tool in ("qemu-system-aarch64", "rauc", "debugfs", "mcopy", "mkfs.vfat"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    found = re.search(r"courier-([0-9.]+)-", NEXT_ROOT.resolve().name)
    assert found, NEXT_ROOT.resolve().name
    version = found.group(1)
    with tempfile.TemporaryDirectory(prefix="courier-bundles-") as folder:
        work = Path(folder)
        foreign = foreign_bundle(version, work)
        good = make_bundle(NEXT_ROOT, version, work / f"courier-{version}.raucb")
        broken = make_bundle(broken_root(NEXT_ROOT, work), bump(version),
                             work / f"courier-{bump(version)}-broken.raucb")
        (work / "broken.root.ext4").unlink()
        yield good, broken, foreign, version


@pytest.fixture(scope="module")
def boots(bundles: tuple[Path, Path, Path, str]) -> list[Boot]:
    """The whole update, boot after boot."""
    reason = can_make_namespaces()
    if reason:
        pytest.skip(reason)
    if not node_available():
        pytest.skip("Node packages missing: run scripts/setup --test")
    good, broken, foreign, version = bundles
    done = run_update(Path(IMAGE), good, broken, foreign, (version, bump(version)))
    image = Path(IMAGE).resolve()
    print(f"FIGURES bundle={good.stat().st_size} broken={broken.stat().st_size} "
          f"image={image.stat().st_size} image_xz={image.with_suffix('.img.xz').stat().st_size} "
          f"installs={[b.smoke.get('install') for b in done]} "
          f"boot_seconds={[round(b.seconds) for b in done]}", flush=True)
    for boot in done:
        print(f"BOOT {boot.stage} trial={boot.trial} {boot.smoke} logs={boot.logs}", flush=True)
    return done


def _acked(boot: Boot) -> bool:
    return bool(boot.deliveries) and all(
        isinstance(d.get("acked"), list) and d["acked"] == d["sent"] for d in boot.deliveries)


@pytest.mark.timeout(7200)
def test_slot_a_takes_cargo_and_installs_the_newer_bundle_from_the_stick(
        boots: list[Boot], bundles: tuple[Path, Path, Path, str]) -> None:
    first = boots[0]
    assert first.smoke["slot"].startswith("A root=/dev/vda2"), first.console_tail[-60:]
    assert first.smoke["update-ca"] == "test"
    assert _acked(first)
    # The update helper found the stick, refused the other CA's bundle, offered the good one.
    assert first.smoke["offer"] == f"{bundles[3]} usb", first.smoke
    assert f"refused: courier-{bundles[3]}-other-ca.raucb: not signed by this fleet's key" \
        in first.logs, first.logs
    # Confirmed over the helper's socket as the daemon's user; rauc's progress was published.
    assert first.smoke["install"].startswith("state=rebooting "), first.logs
    assert first.smoke["install"].endswith(f"words=Restarting into {bundles[3]}")
    assert any(line.startswith("progress: ") and "%" in line for line in first.logs)
    assert first.smoke["after-install"].startswith("config=slot-a/ tryboot=slot-b/")
    assert first.tryboot_requested


@pytest.mark.timeout(60)
def test_the_trial_of_slot_b_is_committed_with_cargo_and_keys_kept(
        boots: list[Boot], bundles: tuple[Path, Path, Path, str]) -> None:
    first, trial = boots[0], boots[1]
    assert trial.trial and trial.smoke["slot"].startswith("B root=/dev/vda3"), trial.logs
    assert trial.smoke["health"] == "success"
    assert any("update committed: slot B is now the system" in line for line in trial.logs)
    # The daemon's words for the panel: trying the new version, then updated once committed.
    said = [line for line in trial.logs if line.startswith("courier: ")]
    assert any(f"update: Trying new version {bundles[3]}" in line for line in said), said
    assert any(f"update: Updated to {bundles[3]}" in line for line in said), said
    assert trial.smoke["version"] == bundles[3] != first.smoke["version"]
    assert trial.smoke["boot-files"].startswith("config=slot-b/ tryboot=none")
    assert trial.smoke["keys"] == first.smoke["keys"]  # same TLS certificate, same store key file
    assert trial.smoke["stored-count"] == "4"  # two delivered before the update, two after
    assert _acked(trial)


@pytest.mark.timeout(60)
def test_a_bundle_whose_courier_fails_is_rolled_back(
        boots: list[Boot], bundles: tuple[Path, Path, Path, str]) -> None:
    install, trial, after = boots[2], boots[3], boots[4]
    assert install.smoke["slot"].startswith("B ") and install.tryboot_requested
    assert install.smoke["offer"] == f"{bump(bundles[3])} usb", install.smoke
    assert install.smoke["after-install"].startswith("config=slot-b/ tryboot=slot-a/")
    assert trial.trial and trial.smoke["slot"].startswith("A "), trial.console_tail[-60:]
    assert "done" not in trial.smoke and not trial.tryboot_requested
    assert any("update failed, keeping slot B: courier.service" in line
               for line in trial.logs), trial.logs
    assert not after.trial and after.smoke["slot"].startswith("B ")
    assert after.smoke["version"] == bundles[3]
    assert after.smoke["boot-files"] == "config=slot-b/ tryboot=none slots=A=bad,B=good,"
    assert after.smoke["stored-count"] == install.smoke["stored-count"] == "6"
    assert after.smoke["keys"] == install.smoke["keys"]
    assert after.smoke["rauc"] == "booted=B boot_primary=rootfs.1"
    said = [line for line in after.logs if line.startswith("courier: ")]
    assert any(f"update: Update failed, kept {bundles[3]}" in line for line in said), after.logs
