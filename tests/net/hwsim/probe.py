"""Guest-side probe (stdlib only): try TCP connections, print one JSON-ish line each."""

import errno
import json
import socket
import sys

for _, host, port in json.loads(sys.argv[1]):
    try:
        with socket.create_connection((host, int(port)), timeout=5):
            outcome = "connected"
    except TimeoutError:
        outcome = "timeout"
    except OSError as error:
        outcome = errno.errorcode.get(error.errno or 0, str(error))
    print(json.dumps({"port": port, "outcome": outcome}).replace('"', "'"))
