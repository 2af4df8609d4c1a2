"""Guest: an Internet-gateway stand-in: acknowledges each line it gets, records it in a file."""

import socketserver
import sys
from pathlib import Path

RECORD = Path("/tmp/gateway-received")


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline()
        if line:  # the Internet check connects and hangs up: nothing to record
            with RECORD.open("ab") as record:
                record.write(line)
            self.wfile.write(b"ack\n")


host, port = sys.argv[1].rsplit(":", 1)
socketserver.TCPServer.allow_reuse_address = True
with socketserver.TCPServer((host, int(port)), _Handler) as server:
    print("listening", flush=True)
    server.serve_forever()
