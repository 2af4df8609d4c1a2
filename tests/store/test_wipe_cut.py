"""A wipe cut off while it deletes the data (power lost) leaves nothing anyone can read."""

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from courier.store import CorruptObjectError, FileStore, KeyFileError
from courier.store.keys import StoreKeys, key_path
from tests.store.conftest import meta

pytestmark = pytest.mark.timeout(60)


class PowerCut(BaseException):
    """The device lost power: nothing after this point ran."""


def _cut_under(root: Path, real: Callable[..., object]) -> Callable[..., object]:
    """Wrap a deleting function: power goes the moment it is asked to delete under `root`."""
    def cut(path: Path, *args: object, **kwargs: object) -> object:
        if Path(path).resolve().is_relative_to(root):
            raise PowerCut
        return real(path, *args, **kwargs)
    return cut


def test_power_lost_as_the_wipe_starts_deleting_leaves_the_data_unreadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = FileStore.open(tmp_path)
    ref = store.put(meta(message_id="secret"), b"s" * 500).ref
    cipher = store.cipher
    # Whatever deletes the data (a tree removal, or the files one by one) is where power goes.
    data = (tmp_path / "store").resolve()
    monkeypatch.setattr(shutil, "rmtree", _cut_under(data, shutil.rmtree))
    monkeypatch.setattr(Path, "unlink", _cut_under(data, Path.unlink))
    try:
        with pytest.raises(PowerCut):
            store.wipe()
    finally:
        monkeypatch.undo()
        store.close()
    sealed = tmp_path / "store" / "objects" / ref
    assert sealed.exists(), "the cut came before any data was deleted"
    assert not key_path(tmp_path).exists(), "the key must be gone before the data is touched"
    with pytest.raises(KeyFileError):
        FileStore.open(tmp_path, create_key=False)
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_size == 32]
    for candidate in leftovers:  # no 32-byte file on the card opens the sealed object
        with pytest.raises(CorruptObjectError):
            StoreKeys.from_master(candidate.read_bytes()).sealing_with(cipher).open(
                ref, b"data", sealed.read_bytes())
