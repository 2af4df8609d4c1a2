"""glibc malloc tuning for the daemon."""

import platform

from courier.app.memory import tune_malloc


def test_malloc_is_tuned_on_glibc() -> None:
    assert tune_malloc() is (platform.libc_ver()[0] == "glibc")
