"""The privileged install's checks, on bundles made by make-bundle and read by real rauc."""

import shutil
from pathlib import Path

import pytest

from courier.update.install import UpdateRefusedError, check_bundle, check_not_older, parse_version
from tests.update.fake_updates import make_bundles

BUILD = Path(__file__).resolve().parents[2] / "image-build"

pytestmark = pytest.mark.skipif(shutil.which("rauc") is None, reason="needs rauc")


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Org keys, another CA, and bundles 0.1.0 and 0.3.0 signed by the org."""
    return make_bundles(tmp_path_factory)


def keyring(made: Path, org: str = "org") -> tuple[str, ...]:
    """Rauc arguments checking against an organisation's CA."""
    return (f"--keyring={made / org / 'ca.cert.pem'}",)


def test_newer_bundle_accepted(made: Path) -> None:
    assert check_bundle(made / "courier-0.3.0.raucb", "0.2.0", keyring(made)) == "0.3.0"
    assert check_bundle(made / "courier-0.3.0.raucb", "0.3.0", keyring(made)) == "0.3.0"


def test_older_bundle_refused(made: Path) -> None:
    with pytest.raises(UpdateRefusedError, match=r"bundle 0.1.0 is older than the running 0.2.0"):
        check_bundle(made / "courier-0.1.0.raucb", "0.2.0", keyring(made))


def test_bundle_of_another_ca_refused_with_rauc_reason(made: Path) -> None:
    with pytest.raises(UpdateRefusedError, match="signature verification failed"):
        check_bundle(made / "courier-0.3.0.raucb", "0.2.0", keyring(made, "other"))


def test_version_order_is_numeric() -> None:
    assert parse_version("0.10.0") > parse_version("0.9.9")
    check_not_older("0.10.0", "0.9.9")
    with pytest.raises(UpdateRefusedError, match="not a release number"):
        parse_version("0.2.0-evil")
