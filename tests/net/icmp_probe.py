"""Run inside a namespace (root): send UDP, ICMP echo and raw IP probes; print what came back.

    icmp_probe.py serve-udp PORT      echo UDP datagrams until terminated
    icmp_probe.py probe HOST PORT     one JSON line per probe: {"probe", "answer"}
answer: "reply" (the target answered), "icmp-3-N" (destination unreachable, code N), "none".
"""

import json
import select
import signal
import socket
import sys
import time

EXPERIMENTAL_PROTOCOL = 253  # RFC 3692: for experiments; no Linux handler exists for it
WAIT = 2.0


def _unreachable_for(icmp: socket.socket, protocol: int, deadline: float) -> str | None:
    """Return "icmp-3-N" if a destination-unreachable about `protocol` arrives in time."""
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([icmp], [], [], left)[0]:
            return None
        packet = icmp.recv(2048)
        header = (packet[0] & 0x0F) * 4
        kind, code = packet[header], packet[header + 1]
        quoted = packet[header + 8:]
        if kind == 3 and len(quoted) > 9 and quoted[9] == protocol:
            return f"icmp-3-{code}"
    return None


def probe_udp(host: str, port: int, icmp: socket.socket) -> str:
    """Send a datagram to a listening port; an echo back is a reply."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.setblocking(False)
        udp.sendto(b"ping", (host, port))
        deadline = time.monotonic() + WAIT
        unreachable = _unreachable_for(icmp, socket.IPPROTO_UDP, deadline)
        try:
            udp.recv(64)
        except OSError:
            return unreachable or "none"
        return "reply"


def probe_echo(host: str, icmp: socket.socket) -> str:
    """Send an ICMP echo request; an echo reply is a reply."""
    ident = 0x2020
    body = bytes([8, 0, 0, 0, ident >> 8, ident & 0xFF, 0, 1]) + b"courier20"
    checksum = _checksum(body)
    icmp.sendto(body[:2] + checksum.to_bytes(2, "big") + body[4:], (host, 0))
    deadline = time.monotonic() + WAIT
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([icmp], [], [], left)[0]:
            break
        packet = icmp.recv(2048)
        header = (packet[0] & 0x0F) * 4
        kind, code = packet[header], packet[header + 1]
        if kind == 0 and packet[header + 4:header + 6] == body[4:6]:
            return "reply"
        quoted = packet[header + 8:]
        if kind == 3 and len(quoted) > 9 and quoted[9] == socket.IPPROTO_ICMP:
            return f"icmp-3-{code}"
    return "none"


def probe_protocol(host: str, icmp: socket.socket) -> str:
    """Send a packet of a protocol nobody serves; the kernel answers protocol-unreachable."""
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, EXPERIMENTAL_PROTOCOL) as raw:
        raw.sendto(_checksummed(b"courier20 experimental"), (host, 0))
        return _unreachable_for(icmp, EXPERIMENTAL_PROTOCOL, time.monotonic() + WAIT) or "none"


def _checksummed(data: bytes) -> bytes:
    """Lead `data` with an Internet checksum over it, as ICMP carries one.

    Before answering a protocol it does not know, the kernel's reject checks that the packet
    sums to zero as ICMP does (nf_ip_checksum): one that does not is dropped, not rejected.
    """
    return _checksum(b"\0\0" + data).to_bytes(2, "big") + data


def _checksum(data: bytes) -> int:
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data) - 1, 2))
    if len(data) % 2:
        total += data[-1] << 8
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def serve_udp(port: int) -> None:
    """Echo every datagram back to its sender."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("0.0.0.0", port))
        print("listening", flush=True)
        while True:
            data, peer = server.recvfrom(2048)
            server.sendto(data, peer)


def main() -> None:
    if sys.argv[1] == "serve-udp":
        serve_udp(int(sys.argv[2]))
        return
    host, port = sys.argv[2], int(sys.argv[3])
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as icmp:
        answers = {"udp": probe_udp(host, port, icmp)}
        answers["icmp-echo"] = probe_echo(host, icmp)
        answers["ip-proto-253"] = probe_protocol(host, icmp)
    for name, answer in answers.items():
        print(json.dumps({"probe": name, "answer": answer}), flush=True)


if __name__ == "__main__":
    main()
