"""Which update CA this system trusts: the organisation's, or a throwaway test CA (said loudly)."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path

RAUC_DIR = Path("/etc/rauc")
TEST_MARKER = "TEST-CA"


def update_ca(etc: Path | None = None) -> str:
    """Return 'organisation', 'test' (build-image without --update-ca) or 'none'."""
    etc = RAUC_DIR if etc is None else etc
    if not (etc / "ca.cert.pem").is_file():
        return "none"
    return "test" if (etc / TEST_MARKER).exists() else "organisation"


def describe(kind: str) -> str:
    """Return the status line for an update CA kind."""
    if kind == "test":
        return ("system updates: WARNING, trusts a throwaway TEST CA (image built without "
                "--update-ca): rebuild with the organisation's CA before use in the field")
    if kind == "organisation":
        return "system updates: signed bundles from the organisation's update CA"
    return "system updates: not set up on this system"


def running_version() -> str:
    """Return the installed courier's version ('unknown' when it is not installed)."""
    try:
        return dist_version("relaynet-courier")
    except PackageNotFoundError:
        return "unknown"
