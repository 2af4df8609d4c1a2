"""A phone joins the hotspot: real DHCP lease, only the courier reachable, the rest fails fast."""

import json
import stat
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

from tests.conftest import REPO
from tests.net.conftest import COURIER_ADDRESS, INTERNET_HOST, PYTHON, Lab, wait_for_line

if TYPE_CHECKING:
    from tests.cogrpc.conftest import Collected, Delivered, World

pytestmark = pytest.mark.netns

DHCLIENT_SCRIPT = """#!/bin/sh
case "$reason" in
  BOUND|RENEW|REBIND|REBOOT)
    ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
    ip route replace default via "$new_routers"
    printf '{"ip": "%s", "routers": "%s", "server": "%s", "dns": "%s"}\\n' \\
      "$new_ip_address" "$new_routers" "$new_dhcp_server_identifier" \\
      "$new_domain_name_servers" > {out}
    ;;
esac
exit 0
"""


def _lease(lab: Lab) -> dict[str, str]:
    out = lab.work / "lease.json"
    script = lab.work / "dhclient-script"
    script.write_text(DHCLIENT_SCRIPT.replace("{out}", str(out)))
    script.chmod(stat.S_IRWXU)
    lab.phone.run("dhclient", "-4", "-1", "-sf", str(script), "-lf", str(lab.work / "leases"),
                  "-pf", str(lab.work / "dhclient.pid"), "wlan0", timeout=60)
    lease: dict[str, str] = json.loads(out.read_text())
    return lease


def test_phone_gets_lease_with_courier_as_server_router_and_dns(open_hotspot: Lab) -> None:
    lease = _lease(open_hotspot)
    assert lease["server"] == COURIER_ADDRESS
    assert lease["routers"] == COURIER_ADDRESS
    assert lease["dns"] == COURIER_ADDRESS
    assert lease["ip"].startswith("10.97.0.") and lease["ip"] != COURIER_ADDRESS


def test_phone_reaches_only_cogrpc_and_everything_else_is_rejected(open_hotspot: Lab) -> None:
    lab = open_hotspot
    _lease(lab)
    courier_log, internet_log = lab.work / "listener-c.log", lab.work / "listener-i.log"
    listener = str(REPO / "tests" / "net" / "listener.py")
    lab.courier.popen([PYTHON, listener, "0.0.0.0:21473", "0.0.0.0:8080"], courier_log)
    lab.internet.popen([PYTHON, listener, f"{INTERNET_HOST}:80"], internet_log)
    wait_for_line(courier_log, "listening")
    wait_for_line(internet_log, "listening")

    cogrpc, other_port, internet = lab.probe(
        lab.phone, ["connect", COURIER_ADDRESS, 21473], ["connect", COURIER_ADDRESS, 8080],
        ["connect", INTERNET_HOST, 80])
    assert cogrpc["outcome"] == "connected"
    # Rejected, not dropped: the phone learns at once (a drop would end in "timeout").
    assert other_port["outcome"] == "ECONNREFUSED"
    assert internet["outcome"] in {"EHOSTUNREACH", "ECONNREFUSED", "ENETUNREACH"}
    # Both targets exist: the courier itself reaches them, so only the firewall stops the phone.
    own, upstream = lab.probe(lab.courier, ["connect", "127.0.0.1", 8080],
                              ["connect", INTERNET_HOST, 80])
    assert own["outcome"] == upstream["outcome"] == "connected"


def test_dns_answers_only_the_courier_name_and_fails_fast_for_the_rest(open_hotspot: Lab) -> None:
    lab = open_hotspot
    _lease(lab)
    own, internet = lab.probe(lab.phone, ["dns", COURIER_ADDRESS, "courier.lan"],
                              ["dns", COURIER_ADDRESS, "example.com"])
    assert own["rcode"] == "NOERROR"
    assert own["addresses"] == [COURIER_ADDRESS]
    assert internet["rcode"] in {"NXDOMAIN", "REFUSED"}


def test_close_and_stop_remove_address_processes_and_firewall(lab: Lab) -> None:
    log = lab.work / "net-setup.log"
    run_dir = lab.work / "run"
    process = lab.courier.popen(
        [PYTHON, "-m", "courier", "net-setup", "--config", str(lab.config), "--data-dir",
         str(lab.data_dir), "--run-dir", str(run_dir)], log)
    wait_for_line(log, "net-setup ready")
    assert "table inet courier" in lab.courier.run("nft", "list", "tables").stdout
    request = ("import asyncio, json, sys; from pathlib import Path; "
               "from courier.net.netsetup import request; "
               "print(json.dumps(asyncio.run(request(Path(sys.argv[1]), sys.argv[2]))))")
    sock = str(run_dir / "control.sock")
    opened = json.loads(lab.courier.run(PYTHON, "-c", request, sock, "open", timeout=30).stdout)
    assert opened["open"] is True
    assert f"{COURIER_ADDRESS}/24" in lab.courier.run("ip", "addr", "show", "hs0").stdout
    bad = lab.courier.run(PYTHON, "-c", request, sock, "rm -rf /", check=False)
    assert bad.returncode != 0 and "unknown net-setup verb" in bad.stderr
    closed = json.loads(lab.courier.run(PYTHON, "-c", request, sock, "close").stdout)
    assert closed["open"] is False
    assert COURIER_ADDRESS not in lab.courier.run("ip", "addr", "show", "hs0").stdout
    assert lab.courier.stop(process) == 0
    assert "courier" not in lab.courier.run("nft", "list", "tables").stdout
    assert not Path(sock).exists()


@pytest.mark.interop
def test_phone_syncs_with_the_official_client_over_the_hotspot(
    open_hotspot: Lab, world: "World",
) -> None:
    from courier.protocol import parse_message  # noqa: PLC0415
    from courier.store import Direction, FileStore, ObjectMeta  # noqa: PLC0415
    from tests.cogrpc.conftest import DRIVER  # noqa: PLC0415

    lab = open_hotspot
    data = lab.work / "courier-data"
    subprocess.run([PYTHON, "-m", "courier", "init", "--data-dir", str(data), "--config",
                    "/nonexistent"], cwd=REPO, check=True, capture_output=True, timeout=60)
    folder = Path(str(world["dir"]))
    gateway = world["gateways"][0]
    store = FileStore.open(data)
    for name in gateway["inbound"]:
        raw = (folder / name).read_bytes()
        store.put(ObjectMeta.from_message(parse_message(raw), Direction.TO_PRIVATE), raw)
    store.close()
    log = lab.work / "courier.log"
    lab.courier.popen([PYTHON, "-m", "courier", "run", "--config", "/nonexistent", "--data-dir",
                       str(data), "--no-panel", "--no-network", "--listen",
                       f"{COURIER_ADDRESS}:21473", "--tls-address", COURIER_ADDRESS], log)
    wait_for_line(log, "serving CogRPC")
    lease = _lease(lab)
    # The Android gateway dials the DHCP server, the desktop gateway its default gateway.
    target = f"{lease['server']}:21473"
    assert lease["routers"] == lease["server"]

    def driver(*args: str) -> object:
        out = lab.phone.run("node", str(DRIVER), *args, timeout=120).stdout
        return json.loads(out.strip().splitlines()[-1])

    # The answers have the shapes driver.mjs prints (the types in tests/cogrpc/conftest.py).
    collected = cast("Collected", driver("collect", target, str(folder / gateway["cca"]),
                                         gateway["id"]))
    assert collected["errors"] == []
    assert len(collected["cargo"]) == len(gateway["inbound"])
    files = [str(folder / name) for name in gateway["outbound"][:4]]
    delivered = cast("Delivered", driver("deliver", target, *files))
    assert sorted(delivered["acked"]) == sorted(files)
    # The daemon also advertises itself over mDNS on the hotspot address.
    browse = lab.work / "browse.log"
    lab.phone.popen([PYTHON, str(REPO / "tests" / "net" / "mdns_browse.py"), lease["ip"]], browse)
    wait_for_line(browse, '"event": "added"')
    added = next(json.loads(line) for line in browse.read_text().splitlines()
                 if '"added"' in line)
    assert added["addresses"] == [COURIER_ADDRESS]
    assert added["port"] == 21473
