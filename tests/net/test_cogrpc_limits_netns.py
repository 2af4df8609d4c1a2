"""The rendered nftables rules limit each source's CogRPC connections, in real namespaces."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from courier.net.render import COGRPC_CONNECTIONS_PER_SOURCE, render_nftables
from tests.net.conftest import PYTHON, skip_without_namespaces, wait_for_line
from tests.net.netns import Netns, veth

pytestmark = [pytest.mark.netns, pytest.mark.timeout(60)]
# Accepts on 21473 and holds each connection until its client closes it.
HOLDER = """
import selectors, socket
server = socket.create_server(("10.18.0.1", 21473), backlog=256)
selector = selectors.DefaultSelector()
selector.register(server, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for key, _ in selector.select():
        if key.fileobj is server:
            selector.register(server.accept()[0], selectors.EVENT_READ)
        elif not key.fileobj.recv(1):
            selector.unregister(key.fileobj)
            key.fileobj.close()
"""
# Opens COUNT connections (held open, or closed at once with "close"); prints the outcomes.
CLIENT = """
import json, socket, sys, time
count, close = int(sys.argv[1]), sys.argv[2] == "close"
held, outcomes = [], {"connected": 0, "refused": 0}
for _ in range(count):
    try:
        sock = socket.create_connection(("10.18.0.1", 21473), timeout=5)
        outcomes["connected"] += 1
        sock.close() if close else held.append(sock)
        time.sleep(0.01 if close else 0)  # closed ones end (and stop counting) meanwhile
    except ConnectionRefusedError:
        outcomes["refused"] += 1
print(json.dumps(outcomes))
"""


@pytest.fixture
def hotspot(tmp_path: Path) -> Iterator[tuple[Netns, Netns]]:
    """A courier namespace with the rendered rules on its hotspot link, and a phone."""
    skip_without_namespaces()
    courier, phone = Netns("srv18"), Netns("cli18")
    try:
        veth(courier, "hs18", phone, "ph18")
        courier.run("ip", "addr", "add", "10.18.0.1/24", "dev", "hs18")
        phone.run("ip", "addr", "add", "10.18.0.2/24", "dev", "ph18")
        courier.run("nft", "-f", "-", stdin=render_nftables(["hs18"], []))
        log = tmp_path / "holder.log"
        courier.popen([PYTHON, "-c", HOLDER], log)
        wait_for_line(log, "listening")
        yield courier, phone
    finally:
        phone.remove()
        courier.remove()


def _connect(phone: Netns, count: int, mode: str) -> dict[str, int]:
    # CLIENT prints how many connections ended each way.
    outcomes: dict[str, int] = json.loads(
        phone.run(PYTHON, "-c", CLIENT, str(count), mode, timeout=40).stdout)
    return outcomes


def test_a_source_holds_at_most_its_share_of_connections(hotspot: tuple[Netns, Netns]) -> None:
    _, phone = hotspot
    outcomes = _connect(phone, COGRPC_CONNECTIONS_PER_SOURCE + 4, "hold")
    assert outcomes == {"connected": COGRPC_CONNECTIONS_PER_SOURCE, "refused": 4}


def test_a_source_opening_connections_fast_is_refused(hotspot: tuple[Netns, Netns]) -> None:
    _, phone = hotspot
    outcomes = _connect(phone, 60, "close")
    assert outcomes["connected"] >= 20  # the burst: a gateway's probes and syncs pass
    assert outcomes["refused"] > 0
