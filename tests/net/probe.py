"""Run inside a namespace: try connections and DNS lookups, print one JSON result per line."""

import errno
import json
import socket
import sys
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode


def connect(host: str, port: int) -> dict[str, object]:
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=5):
            outcome = "connected"
    except TimeoutError:
        outcome = "timeout"
    except OSError as error:
        outcome = errno.errorcode.get(error.errno or 0, str(error))
    return {"outcome": outcome, "seconds": round(time.monotonic() - start, 3)}


def lookup(server: str, name: str) -> dict[str, object]:
    start = time.monotonic()
    query = dns.message.make_query(name, "A")
    try:
        answer = dns.query.udp(query, server, timeout=5)
    except dns.exception.Timeout:
        return {"rcode": "TIMEOUT", "seconds": round(time.monotonic() - start, 3)}
    addresses = [item.address for rrset in answer.answer for item in rrset if rrset.rdtype == 1]
    return {"rcode": dns.rcode.to_text(answer.rcode()), "addresses": addresses,
            "seconds": round(time.monotonic() - start, 3)}


def main() -> None:
    for request in json.loads(sys.argv[1]):
        if request[0] == "connect":
            result = connect(request[1], int(request[2]))
        else:
            result = lookup(request[1], request[2])
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
