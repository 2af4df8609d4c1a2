"""The daemon on the simulated board: time from start to serving, idle memory and CPU."""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figure, free_port, stop_process

REPO = Path(__file__).resolve().parent.parent
BASELINE = (
    "import grpc, cryptography.hazmat.primitives.ciphers.aead, time; "
    "print('ready', flush=True); time.sleep(600)"
)



def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def _wait_for(process: "subprocess.Popen[bytes]", log: Path, text: str) -> None:
    deadline = time.monotonic() + 60
    while text not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(log.read_text())
        time.sleep(0.01)


def _idle(pid: int, seconds: float) -> tuple[float, float]:
    """Return (RSS MB, % of one core) over an idle period."""
    cpu, start = _cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    used = _cpu_seconds(pid) - cpu
    return _rss_mb(pid), 100 * used / (time.monotonic() - start)



def run(quick: bool) -> list[Figure]:
    """Measure and return the figures."""
    idle_seconds = 5 if quick else 20
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        data = work / "data"
        subprocess.run([sys.executable, "-m", "courier", "init", "--data-dir", str(data),
                        "--config", "/nonexistent"], cwd=REPO, check=True, capture_output=True)
        log = work / "daemon.log"
        started = time.monotonic()
        with log.open("wb") as out:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "courier", "run", "--config", "/nonexistent",
                 "--data-dir", str(data), "--hardware", "sim", "--no-network", "--listen",
                 f"127.0.0.1:{free_port()}", "--tls-address", "127.0.0.1"],
                cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for(daemon, log, "serving CogRPC")
            to_serving = time.monotonic() - started
            _wait_for(daemon, log, "status LED")
            time.sleep(1)
            rss, cpu = _idle(daemon.pid, idle_seconds)
        finally:
            stop_process(daemon)
        base_log = work / "baseline.log"
        with base_log.open("wb") as out:
            baseline = subprocess.Popen([sys.executable, "-c", BASELINE], cwd=REPO, stdout=out)
        try:
            _wait_for(baseline, base_log, "ready")
            base_rss, base_cpu = _idle(baseline.pid, 2)
        finally:
            stop_process(baseline)
    return [
        Figure("start to serving CogRPC (sim board)", to_serving * 1000, "ms", None, "< 2 s"),
        Figure("idle RSS (sim board, session machine, LEDs)", rss, "MB", base_rss,
               "< 80 MB (baseline: python + grpc + cryptography)"),
        Figure("idle CPU", cpu, "% core", base_cpu, "< 2%"),
    ]
