"""Host side of the hwsim guest's whole-courier phase: its files, its libraries, its boot disk.

The guest's Python is Debian bookworm's 3.11, as this machine's: the courier's runtime libraries
(the install_requires closure, binary wheels included) are copied from this virtualenv.
"""

import importlib.metadata
import json
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from packaging.requirements import Requirement

DISTRIBUTION = "relaynet-courier"
GATEWAY_HOST = "10.0.2.2"  # the host as qemu's user network shows it to the guest


@dataclass(frozen=True)
class DaemonInputs:
    """What the pytest side prepared: a stocked data dir, the double, the boot disk."""

    data_dir: str
    ca: str
    port: int
    disk: str
    wrong: str
    right: str

    def to_json(self) -> str:
        """Return the inputs as JSON (passed to tests.net.hwsim.run in HWSIM_DAEMON)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "DaemonInputs":
        """Read inputs written by `to_json`."""
        fields = json.loads(text)
        return cls(**{name: fields[name] for name in cls.__dataclass_fields__})


def runtime_distributions(name: str = DISTRIBUTION) -> list[importlib.metadata.Distribution]:
    """Return the installed distributions `name` needs at run time (not itself, no extras)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = [name]
    while todo:
        current = todo.pop()
        key = current.lower().replace("_", "-")
        if key in found:
            continue
        distribution = importlib.metadata.distribution(current)
        found[key] = distribution
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    found.pop(name.lower(), None)
    return list(found.values())


def copy_runtime(site: Path) -> int:
    """Copy the runtime distributions' files into `site`; return the bytes copied."""
    copied = 0
    for distribution in runtime_distributions():
        base = Path(str(distribution.locate_file("")))
        for file in distribution.files or []:
            source = base / file
            if file.parts[0] == ".." or "__pycache__" in file.parts or not source.is_file():
                continue  # scripts outside site-packages, byte code
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
            copied += source.stat().st_size
    return copied


def stage(inputs: DaemonInputs, folder: Path) -> None:
    """Write the guest's /etc/courier-test/daemon: data dir, libraries, CA, port, passphrases."""
    folder.mkdir(parents=True)
    shutil.copytree(inputs.data_dir, folder / "data", symlinks=True)
    copy_runtime(folder / "site")
    shutil.copy(inputs.ca, folder / "gateway-ca.pem")
    (folder / "port").write_text(f"{inputs.port}\n")
    (folder / "wrong-passphrase").write_text(inputs.wrong + "\n")
    (folder / "right-passphrase").write_text(inputs.right + "\n")


def boot_disk(path: Path, settings: str) -> Path:
    """Write a FAT disk labelled COURIERBOOT holding courier.toml (mkfs.vfat + mcopy, no mount)."""
    with path.open("wb") as disk:
        disk.truncate(32 << 20)
    subprocess.run(["mkfs.vfat", "-n", "COURIERBOOT", str(path)], check=True, capture_output=True)
    source = path.with_suffix(".toml")
    source.write_text(settings)
    subprocess.run(["mcopy", "-i", str(path), str(source), "::courier.toml"], check=True)
    source.unlink()
    return path


def boot_file(disk: Path) -> str:
    """Return courier.toml as it is on the FAT disk now (mtype)."""
    return subprocess.run(["mtype", "-i", str(disk), "::courier.toml"], check=True,
                          capture_output=True, text=True).stdout


def daemon_problems(result: dict[str, object] | None) -> list[str]:
    """Return what went wrong in the guest's whole-courier phase."""
    if result is None:
        return ["daemon: no result"]
    problems: list[str] = []
    before = result.get("before")
    for name, words in (("wrong", "Wrong Wi-Fi passphrase for Office"),
                        ("right", "Syncing through Office")):
        attempt = result.get(name)
        if not isinstance(attempt, dict):
            problems.append(f"daemon {name}: no result")
            continue
        for flag in ("net_ready", "daemon_ready", "looked", "rested", "client_left"):
            if attempt.get(flag) is not True:
                problems.append(f"daemon {name}: not {flag}: {_short(attempt)}")
        said, settings = attempt.get("said") or [], attempt.get("settings") or []
        if not any(words in line for line in said):
            problems.append(f"daemon {name}: the panel did not say {words!r}: {said}")
        if attempt.get("stopped") != {"daemon": 0, "net": 0}:
            problems.append(f"daemon {name}: did not stop cleanly: {attempt.get('stopped')}")
        if not any("secret(s) moved" in line for line in settings):
            problems.append(f"daemon {name}: the passphrase was not moved: {settings}")
    wrong = result.get("wrong")
    if isinstance(wrong, dict) and isinstance(before, dict) and \
            wrong.get("stored", {}).get("cargo_to_internet") != before.get("cargo_to_internet"):
        problems.append(f"daemon wrong: cargo changed: {before} -> {wrong.get('stored')}")
    if result.get("blanked") is not True or result.get("passphrase_on_card") is not False:
        problems.append("daemon: a passphrase stayed on the boot partition")
    return problems


def _short(attempt: dict[str, object]) -> str:
    return json.dumps(attempt)[-2500:]
