"""A courier, a phone and 'the Internet' in three namespaces, with real net-setup and dnsmasq."""

import json
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from courier.net.credentials import ensure_wifi_credentials
from tests.conftest import REPO
from tests.net.netns import Netns, can_make_namespaces, veth

COURIER_ADDRESS = "10.97.0.1"
INTERNET_HOST = "198.51.100.2"
PYTHON = sys.executable


def skip_without_namespaces() -> None:
    """Skip the calling test when namespaces cannot be made."""
    reason = can_make_namespaces()
    if reason:
        pytest.skip(reason)


def wait_for_line(log: Path, text: str, timeout: float = 20) -> None:
    """Wait until a process's log contains a line; fail with the log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.05)
    content = log.read_text(errors="replace") if log.exists() else "(no log)"
    pytest.fail(f"{log.name} never said {text!r}:\n{content[-3000:]}")


@dataclass
class Lab:
    """The three namespaces and where things are."""

    courier: Netns
    phone: Netns
    internet: Netns
    work: Path
    data_dir: Path
    config: Path

    def probe(self, ns: Netns, *requests: list[object]) -> list[dict[str, object]]:
        """Run connection/DNS probes inside a namespace."""
        out = ns.run(PYTHON, str(REPO / "tests" / "net" / "probe.py"), json.dumps(requests),
                     timeout=60).stdout
        return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """Build courier/phone/internet namespaces; remove them and all their processes after."""
    skip_without_namespaces()
    made: list[Netns] = []
    try:
        courier, phone, internet = (Netns(role) for role in ("courier", "phone", "inet"))
        made += [courier, phone, internet]
        veth(courier, "hs0", phone, "wlan0")
        veth(courier, "up0", internet, "eth0")
        courier.run("ip", "addr", "add", "198.51.100.1/24", "dev", "up0")
        internet.run("ip", "addr", "add", f"{INTERNET_HOST}/24", "dev", "eth0")
        internet.run("ip", "route", "add", "10.97.0.0/24", "via", "198.51.100.1")
        courier.run("ip", "route", "add", "default", "via", INTERNET_HOST)
        # Forwarding on, as a careless image might have it: only our firewall may stop phones.
        courier.run("sysctl", "-qw", "net.ipv4.ip_forward=1")
        data_dir = tmp_path / "data"
        ensure_wifi_credentials(data_dir)
        config = tmp_path / "courier.toml"
        config.write_text('[hotspot]\ninterface = "hs0"\nsubnet = "10.97.0.0/24"\n')
        yield Lab(courier, phone, internet, tmp_path, data_dir, config)
    finally:
        for ns in made:
            ns.remove()


@pytest.fixture
def open_hotspot(lab: Lab) -> Iterator[Lab]:
    """Run `courier net-setup --open` in the courier namespace."""
    log = lab.work / "net-setup.log"
    process = lab.courier.popen(
        [PYTHON, "-m", "courier", "net-setup", "--config", str(lab.config), "--data-dir",
         str(lab.data_dir), "--run-dir", str(lab.work / "run"), "--open"], log)
    wait_for_line(log, "net-setup ready")
    yield lab
    assert lab.courier.stop(process) == 0, log.read_text()


from tests.cogrpc.conftest import world  # noqa: E402, F401 - the official-client world fixture
