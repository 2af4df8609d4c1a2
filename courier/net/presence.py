"""Who is on the hotspot: associated Wi-Fi stations, DHCP leases, TCP connections to CogRPC.

The official gateways sync only when their user taps "Sync with courier", and their probes are
bare TCP connects that never reach gRPC (PROTOCOL.md section 10): so gRPC calls alone do not
tell whether people are still there. The parsers are pure; the readers return None for a source
that cannot be read (no hotspot, no permission), which then simply counts no one.
"""

import contextlib
import ipaddress
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# /proc/net/tcp states that are no one: listening, and connections already gone (TIME_WAIT
# lasts a minute after the server closed one, CLOSE is a socket being torn down).
NOT_PEERS = frozenset({"0A", "06", "07"})
TCP_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
MAX_STATIONS = 256  # hostapd is asked for at most this many (the Pi's radio takes about 10)
MAC_LENGTH = 17


def _address(hex_address: str) -> str:
    """Return the IP address /proc/net/tcp{,6} writes in hex (32-bit words in host order)."""
    raw = bytes.fromhex(hex_address)
    # The words are little-endian on every board this runs on (x86-64, arm64).
    data = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(data)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)  # a dual-stack socket's IPv4 peer
    return str(address)


def tcp_peers(table: str, port: int) -> set[str]:
    """Return the remote addresses of connections to local `port` in a /proc/net/tcp table."""
    peers = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 4 or fields[3] in NOT_PEERS:
            continue
        local, remote = fields[1], fields[2]
        with contextlib.suppress(ValueError, IndexError):
            if int(local.rsplit(":", 1)[1], 16) == port:
                peers.add(_address(remote.rsplit(":", 1)[0]))
    return peers


def lease_expiries(leases: str) -> dict[str, int]:
    """Return MAC -> lease expiry (epoch seconds) from a dnsmasq lease file."""
    found = {}
    for line in leases.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0].isdigit():
            found[fields[1].lower()] = int(fields[0])
    return found


def station_of(reply: str) -> str | None:
    """Return the MAC address a hostapd STA-FIRST/STA-NEXT reply starts with, or None."""
    first = reply.split("\n", 1)[0].strip().lower()
    if len(first) == MAC_LENGTH and all(c in "0123456789abcdef:" for c in first):
        return first
    return None


def read_tcp_peers(port: int, tables: Iterable[Path] = TCP_TABLES) -> set[str] | None:
    """Return the peers connected to `port` in this network namespace, or None."""
    peers: set[str] = set()
    readable = False
    for path in tables:
        try:
            peers |= tcp_peers(path.read_text(), port)
            readable = True
        except OSError:
            continue
    return peers if readable else None


def read_leases(path: Path) -> dict[str, int] | None:
    """Return the dnsmasq leases, or None when the file cannot be read."""
    try:
        return lease_expiries(path.read_text())
    except OSError:
        return None


def read_stations(control: Path, timeout: float = 0.5) -> set[str] | None:
    """Ask hostapd's control socket for the associated stations, or return None."""
    if not control.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            # hostapd answers to the sender's address. An abstract one (Linux) lives in the
            # network namespace, not on a filesystem: courier.service and courier-net.service
            # each have a private /tmp, so a path there would not reach back.
            sock.bind(f"\0courier-presence-{os.getpid()}-{secrets.token_hex(4)}")
            sock.settimeout(timeout)
            sock.connect(str(control))
            return _walk_stations(sock)
    except OSError:
        return None


def _walk_stations(sock: socket.socket) -> set[str]:
    stations: set[str] = set()
    command = "STA-FIRST"
    while len(stations) < MAX_STATIONS:
        sock.send(command.encode())
        station = station_of(sock.recv(4096).decode("utf-8", "replace"))
        if station is None or station in stations:
            break
        stations.add(station)
        command = f"STA-NEXT {station}"
    return stations


@dataclass(frozen=True)
class Sample:
    """One reading of every source; None where a source could not be read."""

    stations: set[str] | None = None
    leases: dict[str, int] | None = None
    tcp_peers: set[str] | None = None


@dataclass
class PresenceTracker:
    """Turns samples into the last (monotonic) time someone was seen on the hotspot."""

    last_seen: float = 0.0
    stations: int = 0  # associated at the last sample (0 when hostapd could not be asked)
    _leases: dict[str, int] = field(default_factory=dict)

    def observe(self, sample: Sample, now: float) -> bool:
        """Take a sample made at `now`; return whether it showed someone."""
        # A lease granted or renewed since the last sample is someone joining or staying; an
        # old lease alone is not (dnsmasq keeps it for an hour after the phone left).
        renewed = sample.leases is not None and any(
            self._leases.get(mac, -1) < expiry for mac, expiry in sample.leases.items())
        if sample.leases is not None:
            self._leases = dict(sample.leases)
        self.stations = len(sample.stations or ())
        present = renewed or bool(sample.stations) or bool(sample.tcp_peers)
        if present:
            self.last_seen = max(self.last_seen, now)
        return present
