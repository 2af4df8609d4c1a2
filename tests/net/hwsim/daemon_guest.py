"""Guest: the whole courier joins the office network on a press and syncs with the gateway double.

The settings come from the boot partition (a FAT disk, as an organiser writes it after flashing):
the country and the office network, first with a wrong passphrase. `courier settings apply`,
`courier net-setup` (the privileged helper, driving the real radio) and `courier run` (the daemon on
the simulated board, its button a pipe) run in the courier's namespace as the image's units do. The
Internet-gateway double (official JS library) runs on the host, behind the office network and
qemu's NAT. Then the organiser fixes the passphrase in the file, the courier restarts, and a
second press syncs. Prints one HWSIM-RESULT line.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

T = Path("/etc/courier-test")
DATA = T / "daemon" / "data"
BOOT = Path("/boot/firmware/courier.toml")
RUN = Path("/run/courier-uplink")  # courier-net's run directory (the office uses /run/courier-net)
COMMON = ["--config", "/nonexistent", "--data-dir", str(DATA)]
PORT = (T / "daemon" / "port").read_text().strip()
os.environ.update({
    "PYTHONPATH": f"{T / 'src'}:{T / 'daemon' / 'site'}", "PYTHONUNBUFFERED": "1",
    # The double on the host (qemu's 10.0.2.2), behind the office network; its test CA.
    "COURIER_INTERNET__GATEWAYS": f'{{"gateway.example" = "10.0.2.2:{PORT}"}}',
    "COURIER_INTERNET__CA_FILE": f'"{T / "daemon" / "gateway-ca.pem"}"',
    "COURIER_INTERNET__REPLY_WAIT_SECONDS": "0",
    # The courier's radio is wlan1 in its namespace; its hotspot subnet is not the office's.
    "COURIER_HOTSPOT__INTERFACE": '"wlan1"', "COURIER_HOTSPOT__SUBNET": '"10.98.0.0/24"',
    "COURIER_SESSION__NET_RUN_DIR": f'"{RUN}"',
})


def courier(*args: str) -> list[str]:
    """Return the command line of a courier command in the courier's namespace."""
    return ["ip", "netns", "exec", "phone", sys.executable, "-m", "courier", *args]


def wait_for(log: Path, text: str, after: int = 0, timeout: float = 120) -> int:
    """Wait until `log` holds `text` past offset `after`; return the offset after it (-1: never)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace") if log.exists() else ""
        found = content.find(text, after)
        if found >= 0:
            return found + len(text)
        time.sleep(0.5)
    return -1


class Courier:
    """One start of the courier's services, as at boot: settings, courier-net, the daemon."""

    def __init__(self, name: str) -> None:
        applied = subprocess.run(courier("settings", "apply", "--file", str(BOOT), *COMMON),
                                 capture_output=True, text=True, timeout=120, check=False)
        self.settings = (applied.stdout + applied.stderr).strip().splitlines()
        self.net_log = Path(f"/tmp/net-setup-{name}.log")
        self.log = Path(f"/tmp/courier-{name}.log")
        files = ["--settings-file", str(BOOT), *COMMON]
        with self.net_log.open("wb") as out:
            self.net = subprocess.Popen(courier("net-setup", *files, "--interface", "wlan1",
                                                "--run-dir", str(RUN)),
                                        stdout=out, stderr=subprocess.STDOUT)
        self.ready = wait_for(self.net_log, "net-setup ready", timeout=120) >= 0
        with self.log.open("wb") as out:
            self.daemon = subprocess.Popen(courier("run", *files, "--hardware", "sim",
                                                   "--sim-keyboard"),
                                           stdin=subprocess.PIPE, stdout=out,
                                           stderr=subprocess.STDOUT)
        self.at = wait_for(self.log, "status LED:", timeout=180)

    def press(self) -> None:
        """A short press of the button."""
        assert self.daemon.stdin is not None
        self.daemon.stdin.write(b"\n")
        self.daemon.stdin.flush()

    def said(self) -> list[str]:
        """Return what the daemon said about the Wi-Fi uplink (the panel's words)."""
        lines = self.log.read_text(errors="replace").splitlines()
        return [line.split("Wi-Fi uplink: ", 1)[1] for line in lines if "Wi-Fi uplink: " in line]

    def stop(self) -> dict[str, object]:
        """Stop the daemon, then courier-net; return how they ended."""
        codes: dict[str, object] = {}
        for name, process in (("daemon", self.daemon), ("net", self.net)):
            process.send_signal(signal.SIGTERM)
            try:
                codes[name] = process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = f"killed: {process.wait()}"
        return codes

    def tail(self) -> str:
        """Return the end of both logs, for a failure report."""
        return "\n".join(path.read_text(errors="replace")[-1500:]
                         for path in (self.net_log, self.log) if path.exists())


def stored() -> dict[str, object]:
    """Return `courier status --json` (the daemon stopped)."""
    shown = subprocess.run(courier("status", "--json", *COMMON), capture_output=True, text=True,
                           timeout=120, check=False)
    try:
        counts: dict[str, object] = json.loads(shown.stdout)
    except json.JSONDecodeError:
        return {"error": (shown.stdout + shown.stderr)[-500:]}
    return counts


def attempt(name: str, rest: str) -> dict[str, object]:
    """Start the courier, press once, wait for `rest` (the sequence's end), stop it."""
    device = Courier(name)
    result: dict[str, object] = {"settings": device.settings, "net_ready": device.ready,
                                 "daemon_ready": device.at >= 0}
    if device.at >= 0:
        device.press()
        result["looked"] = wait_for(device.log, "-> wifi_sync", device.at, 60) >= 0
        result["rested"] = wait_for(device.log, rest, device.at, 300) >= 0
    result["said"] = device.said()
    result["stopped"] = device.stop()
    if not result.get("rested"):
        result["tail"] = device.tail()
    result["stored"] = stored()
    result["client_left"] = "inet " not in subprocess.run(
        ["ip", "-n", "phone", "-4", "addr", "show", "dev", "wlan1"], capture_output=True,
        text=True, check=False).stdout
    return result


def main() -> None:
    """Wrong passphrase, then the organiser fixes the file; report both."""
    keys = {name: (T / "daemon" / f"{name}-passphrase").read_text().strip()
            for name in ("wrong", "right")}
    before = stored()
    wrong = attempt("wrong", "session: wifi_sync -> ")
    blanked = BOOT.read_text()
    # The organiser writes the right passphrase between the blanked quotes (on any computer).
    BOOT.write_text(blanked.replace('passphrase = ""', f'passphrase = "{keys["right"]}"', 1))
    os.sync()
    right = attempt("right", "session: wifi_sync -> ")
    on_card = BOOT.read_text()
    print("HWSIM-RESULT " + json.dumps({
        "phase": "daemon", "before": before, "wrong": wrong, "right": right,
        "blanked": 'passphrase = ""' in blanked and 'passphrase = ""' in on_card,
        "passphrase_on_card": any(key in blanked + on_card for key in keys.values()),
    }), flush=True)


if __name__ == "__main__":
    main()
