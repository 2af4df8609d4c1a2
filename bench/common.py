"""What a benchmark returns, and helpers to time things."""

import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured figure, with the baseline measured in the same run when there is one."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        """Return value / baseline, or None without a baseline."""
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline


def best_rate(action: Callable[[], object], items: float, *, repeat: int = 3) -> float:
    """Return the best rate (items per second) of `action` over `repeat` runs."""
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        elapsed = time.perf_counter() - start
        best = max(best, items / elapsed)
    return best


def free_port() -> int:
    """Return a TCP port free on loopback now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: "subprocess.Popen[bytes] | subprocess.Popen[str]") -> None:
    """SIGTERM a benchmark's server process, SIGKILL it if it lingers, and reap it."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
