"""Where an Internet gateway listens: `_awala-crc._tcp.<address>` SRV records, or an override."""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dns.exception
import dns.resolver

from courier.errors import SyncError

SERVICE = "_awala-crc._tcp"


@dataclass(frozen=True)
class Target:
    """A host and port to dial, and the name its TLS certificate must carry."""

    host: str
    port: int
    tls_name: str


@dataclass(frozen=True)
class SrvRecord:
    """One SRV answer."""

    priority: int
    weight: int
    target: str
    port: int


def order_records(records: Sequence[SrvRecord], rng: random.Random) -> list[SrvRecord]:
    """Return the records in the order to try them (RFC 2782: priority, then weighted random)."""
    ordered: list[SrvRecord] = []
    for priority in sorted({r.priority for r in records}):
        group = [r for r in records if r.priority == priority]
        while group:
            total = sum(r.weight for r in group)
            if total == 0:
                choice = group[0]
            else:
                point, running = rng.uniform(0, total), 0
                choice = group[-1]
                for record in group:
                    running += record.weight
                    if running >= point:
                        choice = record
                        break
            ordered.append(choice)
            group.remove(choice)
    return ordered


def resolve(address: str, overrides: Mapping[str, str], *,
            nameserver: tuple[str, int] | None = None,
            rng: random.Random | None = None) -> list[Target]:
    """Return the targets for an Internet address; raise SyncError when there are none."""
    if address in overrides:
        host, _, port = overrides[address].rpartition(":")
        # An override points at a host, but the certificate still names the Awala address.
        return [Target(host.strip("[]"), int(port), address)]
    resolver = dns.resolver.Resolver(configure=nameserver is None)
    if nameserver is not None:
        resolver.nameservers = [nameserver[0]]
        resolver.port = nameserver[1]
    resolver.lifetime = 5.0
    try:
        answer = resolver.resolve(f"{SERVICE}.{address}", "SRV")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer) as error:
        raise SyncError(f"{address} has no {SERVICE} SRV record") from error
    except dns.exception.DNSException as error:
        raise SyncError(f"cannot look up {address}: {type(error).__name__}") from error
    records = [SrvRecord(r.priority, r.weight, r.target.to_text(omit_final_dot=True), r.port)
               for r in answer]
    return [Target(r.target, r.port, r.target)
            for r in order_records(records, rng or random.SystemRandom())]
