"""The update helper: sticks found in sysfs, bundles checked by real rauc, install on request."""

import asyncio
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from courier.app.updates import Updates
from courier.update.helper import UpdateHelper
from courier.update.install import system_compatible
from courier.update.offer import HelperStatus, Offer, read_status
from courier.update.service import run
from courier.update.sticks import usb_volumes
from tests.update.fake_updates import BUILD, Board, helper_for, make_bundles, needs_rauc

pytestmark = needs_rauc


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Bundles 0.1.0 and 0.3.0 of the org, 0.4.0 of another CA, and garbage."""
    return make_bundles(tmp_path_factory)


@pytest.fixture
def board(tmp_path: Path) -> Board:
    """A fresh fake board."""
    return Board(tmp_path)


def test_only_usb_partitions_and_unpartitioned_usb_disks_are_volumes(board: Board) -> None:
    board.disk("sda", ("sda1", "sda2"))
    board.disk("sdb")
    board.disk("sdc", usb=False)
    nothing_mounted = board.root / "no-mounts"
    assert usb_volumes(board.sys_block, nothing_mounted) == ["sda1", "sda2", "sdb"]
    assert usb_volumes(board.root / "nothing", nothing_mounted) == []


def test_a_usb_disk_already_mounted_is_not_a_stick(board: Board) -> None:
    board.disk("sda", ("sda1", "sda2"))  # a Pi booted from a USB disk: its root is sda2
    mountinfo = board.root / "mountinfo"
    mountinfo.write_text("22 1 8:2 / / ro,noatime shared:1 - ext4 /dev/sda2 ro\n"
                         "30 22 0:26 / /run rw shared:5 - tmpfs tmpfs rw\n")
    assert usb_volumes(board.sys_block, mountinfo) == ["sda1"]


def test_a_stick_offers_its_newest_acceptable_bundle_and_says_why_others_are_refused(
        board: Board, made: Path) -> None:
    board.disk("sda", ("sda1",))
    board.sticks["sda1"] = [made / "courier-0.1.0.raucb", made / "courier-0.3.0.raucb",
                            made / "courier-0.4.0.raucb", made / "garbage.raucb"]
    helper = helper_for(board, made)
    asyncio.run(helper.scan())
    asyncio.run(helper.scan())  # its own mount of the stick does not make it "in use"
    status = read_status(helper.run_dir)
    assert status is not None
    assert status.offer == Offer("0.3.0", "usb", "courier-0.3.0.raucb", serial=1)
    refused = dict(line.split(": ", 1) for line in status.refused)
    assert refused == {"courier-0.1.0.raucb": "older than this system",
                       "courier-0.4.0.raucb": "not signed by this fleet's key",
                       "garbage.raucb": "not a whole update bundle"}
    assert board.mounted == ["sda1"]
    board.pull("sda", ("sda1",))
    asyncio.run(helper.scan())
    assert read_status(helper.run_dir) == HelperStatus()
    assert board.unmounted == ["stick-sda1"]
    board.disk("sda", ("sda1",))  # plugged in again: the same bundle is a fresh offer
    asyncio.run(helper.scan())
    status = read_status(helper.run_dir)
    assert status is not None and status.offer is not None and status.offer.serial == 2


def test_a_bundle_for_another_device_is_refused(board: Board, made: Path) -> None:
    board.disk("sda", ("sda1",))
    board.sticks["sda1"] = [made / "courier-0.3.0.raucb"]
    helper = helper_for(board, made, compatible="another-device")
    asyncio.run(helper.scan())
    status = read_status(helper.run_dir)
    assert status is not None and status.offer is None
    assert status.refused == ("courier-0.3.0.raucb: made for another device",)


def test_the_compatible_string_is_read_from_the_system_conf(tmp_path: Path) -> None:
    conf = tmp_path / "system.conf"
    conf.write_text((BUILD / "overlay/etc/rauc/system.conf").read_text())
    assert system_compatible(conf) == "relaynet-courier-pi-arm64"
    assert system_compatible(tmp_path / "missing.conf") is None


def test_a_stick_without_a_filesystem_offers_nothing_and_is_not_mounted_again(
        board: Board, made: Path) -> None:
    board.disk("sdb")
    helper = helper_for(board, made)

    async def twice() -> None:
        await helper.scan()
        await helper.scan()
    asyncio.run(twice())
    assert board.mounted == [] and read_status(helper.run_dir) == HelperStatus()


def test_install_runs_only_the_offered_version_then_reboots_into_the_trial(
        board: Board, made: Path) -> None:
    board.disk("sda", ("sda1",))
    board.sticks["sda1"] = [made / "courier-0.3.0.raucb"]
    helper = helper_for(board, made)

    async def go() -> tuple[dict[str, object], dict[str, object]]:
        await helper.scan()
        wrong = await helper.install("0.4.0")
        return wrong, await helper.install("0.3.0")
    wrong, right = asyncio.run(go())
    assert wrong == {"error": "no update 0.4.0 is offered"}
    assert right == {"ok": True, "version": "0.3.0"}
    installed = (board.rauc.parent / "installed").read_text().strip()
    assert installed == str(helper.run_dir / "stick-sda1" / "courier-0.3.0.raucb")
    status = read_status(helper.run_dir)
    assert status is not None and status.state == "rebooting" and status.percent == 100
    assert status.words == "Restarting into 0.3.0" and status.attempt == 1
    assert board.reboots == 1


def test_a_failed_install_says_why_in_words_and_does_not_reboot(board: Board, made: Path) -> None:
    board.disk("sda", ("sda1",))
    board.sticks["sda1"] = [made / "courier-0.3.0.raucb"]
    (board.rauc.parent / "fail").touch()
    helper = helper_for(board, made)

    async def go() -> dict[str, object]:
        await helper.scan()
        return await helper.install("0.3.0")
    assert asyncio.run(go()) == {"error": "does not fit the other slot"}
    status = read_status(helper.run_dir)
    assert status is not None and status.state == "failed" and status.percent is None
    assert status.offer is not None  # the stick is still there: it may be tried again
    assert board.reboots == 0


def test_the_download_is_checked_from_its_fixed_path_only(board: Board, made: Path) -> None:
    download = board.root / "spool/bundle.raucb"
    download.parent.mkdir()
    helper = helper_for(board, made, download)

    async def go() -> list[dict[str, object]]:
        answers = [await helper.check_download()]
        shutil.copy(made / "courier-0.4.0.raucb", download)
        answers.append(await helper.check_download())
        shutil.copy(made / "courier-0.3.0.raucb", download)
        answers.append(await helper.check_download())
        return answers
    none, foreign, good = asyncio.run(go())
    assert none == {"offer": None, "refused": []}
    assert foreign == {"offer": None, "refused": ["bundle.raucb: not signed by this fleet's key"]}
    assert good == {"offer": "0.3.0"}
    status = read_status(helper.run_dir)
    assert status is not None
    assert status.offer == Offer("0.3.0", "download", "bundle.raucb", serial=1)
    # Checked again after the next sync: the same version is the same offer ("not now" holds).
    assert asyncio.run(helper.check_download()) == {"offer": "0.3.0"}
    status = read_status(helper.run_dir)
    assert status is not None and status.offer is not None and status.offer.serial == 1


@pytest.fixture
def served(board: Board, made: Path) -> Iterator[tuple[UpdateHelper, asyncio.AbstractEventLoop]]:
    """The helper's service loop (socket and scans) on a loop in this thread."""
    loop = asyncio.new_event_loop()
    helper = helper_for(board, made)
    task = loop.create_task(run(helper, scan_seconds=0.05))
    loop.run_until_complete(asyncio.sleep(0.3))
    yield helper, loop
    task.cancel()
    loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    loop.close()


def test_the_daemon_sees_the_offer_and_installs_it_over_the_socket(
        board: Board, made: Path, served: tuple[UpdateHelper, asyncio.AbstractEventLoop]) -> None:
    helper, loop = served
    updates = Updates("0.2.0", board.root / "state", helper.run_dir)
    assert updates.facts().offer == ""
    board.sticks["sda1"] = [made / "courier-0.3.0.raucb"]
    board.disk("sda", ("sda1",))
    loop.run_until_complete(asyncio.sleep(1.5))
    facts = updates.facts()
    assert (facts.offer, facts.source) == ("0.3.0", "USB stick")
    assert oct((helper.run_dir / "control.sock").stat().st_mode & 0o777) == "0o660"
    assert loop.run_until_complete(updates.install("0.9.9")) is False
    assert loop.run_until_complete(updates.install("0.3.0")) is True
    assert board.reboots == 1
    assert updates.facts().words == "Restarting into 0.3.0"


@pytest.mark.parametrize("line", [b"not json\n", b"[1, 2]\n", b'{"command": "install"}\n',
                                  b'{"command": "install", "version": 3}\n',
                                  b'{"command": "rm -rf"}\n', b"\xff\xfe\n"])
def test_malformed_requests_get_an_error_and_the_helper_stays_up(
        board: Board, made: Path, served: tuple[UpdateHelper, asyncio.AbstractEventLoop],
        line: bytes) -> None:
    helper, loop = served

    async def send() -> bytes:
        reader, writer = await asyncio.open_unix_connection(str(helper.run_dir / "control.sock"))
        writer.write(line)
        await writer.drain()
        answer = await reader.readline()
        writer.close()
        await writer.wait_closed()
        return answer
    assert b'"error"' in loop.run_until_complete(send())
    assert loop.run_until_complete(send()).startswith(b'{"error"')  # still answering
    assert board.reboots == 0


def test_the_service_module_runs(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "courier.update.service", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "--download" in done.stdout
