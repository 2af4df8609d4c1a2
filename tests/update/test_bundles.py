"""Real rauc: make-update-keys and make-bundle, and what the image's system.conf accepts."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "image-build"
SYSTEM_CONF = BUILD / "overlay/etc/rauc/system.conf"

pytestmark = pytest.mark.skipif(
    shutil.which("rauc") is None or shutil.which("mkfs.ext4") is None,
    reason="needs rauc and e2fsprogs (scripts/setup installs them)",
)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its text output."""
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two organisations' keys and a small root filesystem image."""
    path = tmp_path_factory.mktemp("bundles")
    for org in ("org", "other"):
        assert run(BUILD / "make-update-keys", path / org, org).returncode == 0
    (path / "fs").mkdir()
    (path / "fs/blob").write_bytes(os.urandom(200_000))
    assert run("mkfs.ext4", "-q", "-F", "-d", path / "fs", path / "root.ext4", "8M").returncode == 0
    return path


def system_conf(work: Path, ca: Path) -> Path:
    """The image's system.conf with the keyring pointing at `ca`."""
    text = SYSTEM_CONF.read_text().replace("/etc/rauc/ca.cert.pem", str(ca))
    conf = work / f"system-{ca.parent.name}.conf"
    conf.write_text(text)
    return conf


def info(work: Path, ca: Path, bundle: Path) -> subprocess.CompletedProcess[str]:
    """Ask rauc to check a bundle as the device would, with the image's system.conf."""
    return run("rauc", "info", f"--conf={system_conf(work, ca)}", bundle)


def make_bundle(work: Path, keys: str, name: str) -> Path:
    """A bundle of root.ext4 signed with an organisation's key."""
    out = work / name
    done = run(BUILD / "make-bundle", work / "root.ext4", "0.2.0", work / keys, out)
    assert done.returncode == 0, done.stderr
    return out


def test_keys_are_a_ca_and_a_signing_key_it_certified(work: Path) -> None:
    org = work / "org"
    assert (org / "ca.key").stat().st_mode & 0o077 == 0
    assert (org / "signing.key").stat().st_mode & 0o077 == 0
    verified = run("openssl", "verify", "-CAfile", org / "ca.cert.pem", org / "signing.cert.pem")
    assert verified.returncode == 0, verified.stderr
    again = run(BUILD / "make-update-keys", org, "org")
    assert again.returncode != 0 and "not overwritten" in again.stderr


def test_bundle_signed_by_the_org_is_accepted(work: Path) -> None:
    bundle = make_bundle(work, "org", "good.raucb")
    done = info(work, work / "org/ca.cert.pem", bundle)
    assert done.returncode == 0, done.stderr
    assert "'0.2.0'" in done.stdout and "verity" in done.stdout


def test_bundle_signed_by_another_ca_is_refused(work: Path) -> None:
    bundle = make_bundle(work, "other", "other.raucb")
    done = info(work, work / "org/ca.cert.pem", bundle)
    assert done.returncode != 0
    assert "signature verification failed" in done.stderr


def test_unsigned_bundle_is_refused(work: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(work / "root.ext4", content / "rootfs.ext4")
    (content / "manifest.raucm").write_text(
        "[update]\ncompatible=relaynet-courier-pi-arm64\nversion=0.2.0\n"
        "[image.rootfs]\nfilename=rootfs.ext4\n"
    )
    bundle = tmp_path / "unsigned.raucb"
    made = run("mksquashfs", content, bundle, "-all-root", "-noappend", "-no-progress")
    assert made.returncode == 0, made.stderr
    done = info(work, work / "org/ca.cert.pem", bundle)
    assert done.returncode != 0
    assert "signature" in done.stderr.lower()


def test_bundle_with_altered_signed_manifest_is_refused(work: Path, tmp_path: Path) -> None:
    """The manifest (version, verity root hash) is inside the signature at the end."""
    bundle = tmp_path / "tampered.raucb"
    data = bytearray(make_bundle(work, "org", "t.raucb").read_bytes())
    at = data.find(b"version=0.2.0")
    assert at > 0
    data[at + 8] = ord("9")
    bundle.write_bytes(bytes(data))
    assert info(work, work / "org/ca.cert.pem", bundle).returncode != 0


def test_plain_format_bundle_is_refused(work: Path, tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(work / "root.ext4", content / "rootfs.ext4")
    (content / "manifest.raucm").write_text(
        "[update]\ncompatible=relaynet-courier-pi-arm64\nversion=0.2.0\n"
        "[bundle]\nformat=plain\n[image.rootfs]\nfilename=rootfs.ext4\n"
    )
    bundle = tmp_path / "plain.raucb"
    org = work / "org"
    made = run("rauc", "bundle", f"--cert={org / 'signing.cert.pem'}",
               f"--key={org / 'signing.key'}", content, bundle)
    assert made.returncode == 0, made.stderr
    done = info(work, org / "ca.cert.pem", bundle)
    assert done.returncode != 0
    assert "plain" in done.stderr
