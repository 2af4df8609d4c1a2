"""Run inside a namespace: accept TCP connections on the given ports until terminated."""

import selectors
import signal
import socket
import sys


def main() -> None:
    selector = selectors.DefaultSelector()
    for spec in sys.argv[1:]:
        host, port = spec.rsplit(":", 1)
        server = socket.create_server((host, int(port)), reuse_port=False)
        server.setblocking(False)
        selector.register(server, selectors.EVENT_READ)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("listening", flush=True)
    while True:
        for key, _ in selector.select():
            listening = key.fileobj
            assert isinstance(listening, socket.socket)  # only listening sockets are registered
            connection, _ = listening.accept()
            connection.close()


if __name__ == "__main__":
    main()
