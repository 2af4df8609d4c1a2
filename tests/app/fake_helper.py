"""A stand-in for courier-net on its control socket: the radio we do not have, scripted."""

import contextlib
import json
import socket
import threading
from pathlib import Path


class FakeHelper:
    """Answers courier-net's verbs (hotspot and Wi-Fi client) as told; records every verb."""

    def __init__(self, run_dir: Path) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        self.path = run_dir / "control.sock"
        self.verbs: list[str] = []
        self.visible: dict[str, int] = {}  # what a scan finds: name -> dBm
        self.keys: dict[str, bool] = {}  # name -> whether joining it works (False: key refused)
        self.hotspot_open = False
        self.client = False
        self.scan_seconds = 0.0  # how long a scan takes (a real one: a few seconds)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(8)
        self._closed = threading.Event()
        self._answering: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return  # closed
            # One thread a connection: a leave must be answered while a slow scan still runs.
            answering = threading.Thread(target=self._reply, args=(connection,), daemon=True)
            self._answering.append(answering)
            answering.start()

    def _reply(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            line = connection.makefile("rb").readline().decode().strip()
            connection.sendall(json.dumps(self._answer(line)).encode() + b"\n")

    def _answer(self, line: str) -> dict[str, object]:
        verb, _, argument = line.partition(" ")
        name = bytes.fromhex(argument).decode() if verb == "uplink-join" else ""
        self.verbs.append(f"{verb} {name}" if name else verb)
        if verb in ("open", "close"):
            if verb == "open" and self.client:
                return {"error": "test: the client still runs"}
            self.hotspot_open = verb == "open"
            return {"open": self.hotspot_open}
        if verb == "uplink-leave":
            self.client = False
            return {"client": False}
        if self.hotspot_open:
            return {"error": "the hotspot is open: close it before using the radio as a client"}
        self.client = True
        if verb == "uplink-scan":
            self._closed.wait(self.scan_seconds)
            return {"networks": self.visible}
        if verb == "uplink-join":
            return {"joined": self.keys.get(name)}
        if verb == "uplink-address":
            return {"addressed": True}
        return {"error": "unknown verb"}

    def close(self) -> None:
        """Stop answering and remove the socket."""
        self._closed.set()  # a scan still "running" ends now
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._server.close()
        self._thread.join(timeout=5)
        for answering in self._answering:
            answering.join(timeout=5)
        self.path.unlink(missing_ok=True)
