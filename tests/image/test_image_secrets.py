"""The built image holds no secret: first boot makes them on each device (needs the image).

First boot runs only while /var/lib/courier/keys/store.key is absent, so a key baked into the image
would silently skip it and every device would share the key. The image file's root and data
partitions are mounted read-only (loop, no journal replay: the file is never written) and searched.
"""

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.image.test_boot import IMAGE, need_image

pytestmark = [pytest.mark.qemu, pytest.mark.timeout(300)]
SECRETS = {"store.key", "tls.key", "wifi.json"}
_EXT4_MAGIC = b"\x53\xef"


def _partitions(image: Path) -> dict[str, tuple[int, int]]:
    """Return {ext4 label: (byte offset, size)} of the image's partitions, read from the MBR."""
    out = subprocess.run(["sfdisk", "--json", str(image)], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    table = json.loads(out)["partitiontable"]
    sector = int(table.get("sectorsize", 512))
    found = {}
    with image.open("rb") as disk:
        for partition in table["partitions"]:
            offset, size = int(partition["start"]) * sector, int(partition["size"]) * sector
            disk.seek(offset + 1024)
            superblock = disk.read(1024)
            if superblock[56:58] == _EXT4_MAGIC:
                found[superblock[120:136].rstrip(b"\0").decode()] = (offset, size)
    return found


@contextmanager
def _mounted(image: Path, offset: int, size: int) -> Iterator[Path]:
    """Mount one partition of the image file read-only, without replaying its journal."""
    with tempfile.TemporaryDirectory(prefix="courier-image-") as folder:
        subprocess.run(["mount", "-t", "ext4", "-o",
                        f"ro,noload,loop,offset={offset},sizelimit={size}", str(image), folder],
                       check=True, capture_output=True, timeout=60)
        try:
            yield Path(folder)
        finally:
            subprocess.run(["umount", folder], check=True, capture_output=True, timeout=60)


def _files(root: Path) -> dict[str, Path]:
    """Return every file and directory below `root` by its path relative to it."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = path
    return found


@pytest.fixture(scope="module")
def partitions() -> dict[str, tuple[int, int]]:
    """The ext4 partitions of the built image."""
    need_image()
    if os.geteuid() != 0:
        pytest.skip("mounting the image's partitions needs root")
    return _partitions(Path(IMAGE))


def test_the_data_partition_ships_the_layout_and_no_secret(
    partitions: dict[str, tuple[int, int]],
) -> None:
    assert set(partitions) == {"COURIER-ROOT", "COURIER-DATA"}
    with _mounted(Path(IMAGE), *partitions["COURIER-DATA"]) as data:
        files = _files(data)
        assert {"courier", "system"} <= set(files), sorted(files)  # the listing sees the tree
        named = {Path(relative).name for relative in files}
        assert not named & SECRETS, sorted(files)
        keys = [relative for relative in files if relative.startswith("courier/")]
        assert not [k for k in keys if files[k].is_file()], keys  # no state of any kind


def test_the_root_filesystem_ships_no_secret(partitions: dict[str, tuple[int, int]]) -> None:
    with _mounted(Path(IMAGE), *partitions["COURIER-ROOT"]) as root:
        files = _files(root)
        # The listing is real: the courier, its configuration and its first-boot unit are there.
        assert {"etc/courier/courier.toml", "opt/courier/venv/bin/courier",
                "usr/lib/systemd/system/courier-firstboot.service"} <= set(files)
        assert not {Path(relative).name for relative in files} & SECRETS
        for relative, path in files.items():
            if relative.startswith(("etc/courier", "var/lib")) and path.is_file() \
                    and not path.is_symlink():
                assert b"PRIVATE KEY" not in path.read_bytes(), relative
