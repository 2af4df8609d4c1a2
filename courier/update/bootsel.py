"""RAUC custom bootloader backend on the Raspberry Pi boot partition (os_prefix + tryboot).

Files on the FAT boot partition:
- ``config.txt``: the committed slot, as ``os_prefix=slot-a/`` (read on a normal boot);
- ``tryboot.txt``: a copy of it naming the trial slot (read once after ``reboot "0 tryboot"``);
- ``slots.txt``: ``A=good``/``B=bad`` lines, RAUC's per-slot state.
"""

import argparse
import os
import sys
from pathlib import Path

from courier.atomic import write_atomically

BOOTNAMES = ("A", "B")
STATES = ("good", "bad")
DEFAULT_BOOT = Path("/boot/firmware")
ARITY = {"get-primary": 0, "set-primary": 1, "get-state": 1, "set-state": 2, "get-current": 0}


class BootselError(Exception):
    """The boot partition files are missing or name an unknown slot."""


def prefix_of(bootname: str) -> str:
    """Return the os_prefix directory of a slot: 'A' -> 'slot-a/'."""
    _check(bootname)
    return f"slot-{bootname.lower()}/"


def _check(bootname: str) -> None:
    """Refuse a bootname that is not one of the two slots."""
    if bootname not in BOOTNAMES:
        raise BootselError(f"unknown slot {bootname!r}, expected one of {', '.join(BOOTNAMES)}")


def slot_named(config_text: str) -> str:
    """Return the slot a config.txt/tryboot.txt boots, from its os_prefix line."""
    for line in config_text.splitlines():
        key, _, value = line.strip().partition("=")
        if key.strip() == "os_prefix":
            for name in BOOTNAMES:
                if value.strip() == prefix_of(name):
                    return name
            raise BootselError(f"os_prefix {value.strip()!r} names no slot")
    raise BootselError("no os_prefix line: the boot partition is not set up for A/B")


def with_slot(config_text: str, bootname: str) -> str:
    """Return the config text with its os_prefix line naming `bootname`."""
    lines = [
        ln for ln in config_text.splitlines()
        if ln.strip().partition("=")[0].strip() != "os_prefix"
    ]
    return "\n".join([f"os_prefix={prefix_of(bootname)}", *lines]) + "\n"


class BootPartition:
    """The A/B boot selection kept in the boot partition's files."""

    def __init__(self, root: Path) -> None:
        """Work on the boot partition mounted at `root`."""
        self.root = root
        self.config = root / "config.txt"
        self.tryboot = root / "tryboot.txt"
        self.states = root / "slots.txt"

    def committed(self) -> str:
        """Return the slot a normal (non-trial) boot starts."""
        try:
            return slot_named(self.config.read_text())
        except FileNotFoundError as exc:
            raise BootselError(f"{self.config} is missing") from exc

    def trial(self) -> str | None:
        """Return the slot the next tryboot starts, if a trial is pending."""
        try:
            return slot_named(self.tryboot.read_text())
        except FileNotFoundError:
            return None

    def get_state(self, bootname: str) -> str:
        """RAUC's state of a slot: 'good' unless marked bad."""
        _check(bootname)
        return self._read_states().get(bootname, "good")

    def _read_states(self) -> dict[str, str]:
        """Return the slot states recorded in slots.txt."""
        try:
            text = self.states.read_text()
        except FileNotFoundError:
            return {}
        states: dict[str, str] = {}
        for line in text.splitlines():
            name, _, state = line.strip().partition("=")
            if name in BOOTNAMES and state in STATES:
                states[name] = state
        return states

    def _write(self, path: Path, text: str) -> None:
        """Replace a boot partition file durably (files 0644: the courier reads them)."""
        write_atomically(path, text.encode(), mode=0o644)

    def _write_states(self, states: dict[str, str]) -> None:
        """Record the slot states."""
        self._write(self.states, "".join(f"{n}={states[n]}\n" for n in BOOTNAMES if n in states))

    def get_primary(self) -> str:
        """Return the next update boot's slot: the pending trial, else the committed one."""
        return self.trial() or self.committed()

    def set_primary(self, bootname: str) -> None:
        """Make `bootname` the next boot: a trial (tryboot.txt) unless it is already committed."""
        _check(bootname)
        states = self._read_states()
        states[bootname] = "good"
        self._write_states(states)
        if bootname == self.committed():
            self._drop_trial()
            return
        self._write(self.tryboot, with_slot(self.config.read_text(), bootname))

    def set_state(self, bootname: str, state: str) -> None:
        """Mark a slot good (committing it if it is the trial) or bad (cancelling its trial)."""
        _check(bootname)
        if state not in STATES:
            raise BootselError(f"unknown state {state!r}, expected good or bad")
        states = self._read_states()
        states[bootname] = state
        self._write_states(states)
        if self.trial() != bootname:
            return
        if state == "good":
            self._write(self.config, with_slot(self.config.read_text(), bootname))
        self._drop_trial()

    def _drop_trial(self) -> None:
        """Remove tryboot.txt so no trial is pending."""
        try:
            self.tryboot.unlink()
        except FileNotFoundError:
            return
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def main(argv: list[str] | None = None) -> int:
    """RAUC custom backend entry: get-primary, set-primary, get-state, set-state, get-current."""
    parser = argparse.ArgumentParser(prog="courier-bootsel", description=main.__doc__)
    default = Path(os.environ.get("COURIER_BOOT_DIR", DEFAULT_BOOT))
    parser.add_argument("--boot", type=Path, default=default)
    parser.add_argument("command", choices=list(ARITY))
    parser.add_argument("args", nargs="*")
    ns = parser.parse_args(argv)
    boot = BootPartition(ns.boot)
    want = ARITY[ns.command]
    if len(ns.args) != want:
        print(f"courier-bootsel: {ns.command} takes {want} argument(s)", file=sys.stderr)
        return 2
    try:
        if ns.command == "get-primary":
            print(boot.get_primary())
        elif ns.command == "set-primary":
            boot.set_primary(ns.args[0])
        elif ns.command == "get-state":
            print(boot.get_state(ns.args[0]))
        elif ns.command == "set-state":
            boot.set_state(ns.args[0], ns.args[1])
        else:
            print(current_slot(Path("/proc/cmdline").read_text()))
    except (BootselError, OSError) as exc:
        print(f"courier-bootsel: {exc}", file=sys.stderr)
        return 1
    return 0


def current_slot(cmdline: str) -> str:
    """Return the booted slot, from the kernel command line's rauc.slot= word."""
    for word in cmdline.split():
        if word.startswith("rauc.slot="):
            name = word.removeprefix("rauc.slot=")
            _check(name)
            return name
    raise BootselError("no rauc.slot= on the kernel command line")


if __name__ == "__main__":
    sys.exit(main())
