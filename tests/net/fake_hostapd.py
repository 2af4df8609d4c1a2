"""A stand-in for hostapd's control socket (no Wi-Fi radio here): answers STA-FIRST/STA-NEXT."""

import contextlib
import socket
import threading
from pathlib import Path


class FakeHostapd:
    """Serves the station list on a UNIX datagram socket, as hostapd's ctrl_interface does."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.stations: list[str] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-hostapd")

    def __enter__(self) -> "FakeHostapd":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()
        self.path.unlink(missing_ok=True)

    def _answer(self, command: str) -> str:
        stations = list(self.stations)
        if command == "STA-FIRST":
            index = 0
        elif command.startswith("STA-NEXT ") and command[9:] in stations:
            index = stations.index(command[9:]) + 1
        else:
            return "FAIL\n" if not command.startswith("STA-") else ""
        if index >= len(stations):
            return ""
        return f"{stations[index]}\nflags=[AUTH][ASSOC][AUTHORIZED]\naid={index + 1}\n"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.suppress(OSError):
                self._sock.sendto(self._answer(data.decode()).encode(), sender)
