"""Throw-away network namespaces joined by veth pairs, removed with everything in them."""

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Sequence
from pathlib import Path


def can_make_namespaces() -> str | None:
    """Return why namespace tests cannot run here, or None if they can."""
    if os.geteuid() != 0:
        return "network-namespace tests need root"
    if shutil.which("ip") is None:
        return "iproute2 is not installed"
    return None


def sh(*argv: str, timeout: float = 20, check: bool = True, stdin: str | None = None,
       ) -> subprocess.CompletedProcess[str]:
    """Run a command and return its result."""
    return subprocess.run(list(argv), check=check, capture_output=True, text=True,
                          timeout=timeout, input=stdin)


class Netns:
    """One namespace; processes started in it are killed when it is removed."""

    def __init__(self, role: str) -> None:
        self.name = f"crt-{role}-{uuid.uuid4().hex[:6]}"
        self.processes: list[subprocess.Popen[bytes]] = []
        sh("ip", "netns", "add", self.name)
        self.run("ip", "link", "set", "lo", "up")

    def run(self, *argv: str, timeout: float = 20, check: bool = True,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run a command inside the namespace and wait for it."""
        return sh("ip", "netns", "exec", self.name, *argv, timeout=timeout, check=check,
                  stdin=stdin)

    def popen(self, argv: Sequence[str], log: Path, env: dict[str, str] | None = None,
              ) -> "subprocess.Popen[bytes]":
        """Start a long-running command inside the namespace, output to a log file."""
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", self.name, *argv], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.processes.append(process)
        return process

    def stop(self, process: "subprocess.Popen[bytes]", timeout: float = 10) -> int:
        """Stop a process started with popen (SIGTERM, then SIGKILL) and return its status."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def remove(self) -> None:
        """Kill everything still running in the namespace and delete it."""
        for process in self.processes:
            self.stop(process, timeout=5)
        pids = sh("ip", "netns", "pids", self.name, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        deadline = time.monotonic() + 5
        while pids and time.monotonic() < deadline:
            pids = sh("ip", "netns", "pids", self.name, check=False).stdout.split()
            time.sleep(0.05)
        sh("ip", "netns", "del", self.name, check=False)


def veth(left: Netns, left_name: str, right: Netns, right_name: str) -> None:
    """Join two namespaces with a veth pair named as given inside each."""
    temp_left, temp_right = f"v{uuid.uuid4().hex[:8]}", f"v{uuid.uuid4().hex[:8]}"
    sh("ip", "link", "add", temp_left, "type", "veth", "peer", "name", temp_right)
    sh("ip", "link", "set", temp_left, "netns", left.name)
    sh("ip", "link", "set", temp_right, "netns", right.name)
    left.run("ip", "link", "set", temp_left, "name", left_name)
    right.run("ip", "link", "set", temp_right, "name", right_name)
    left.run("ip", "link", "set", left_name, "up")
    right.run("ip", "link", "set", right_name, "up")
