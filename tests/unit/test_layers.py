"""The dependency direction of ARCHITECTURE.md, checked in fresh interpreters."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO

# layer -> prefixes of our modules it must never pull in
FORBIDDEN = {
    "courier.protocol": ("courier.store", "courier.sync", "courier.cogrpc", "courier.net",
                         "courier.panel", "courier.app", "hw", "grpc", "logging"),
    "courier.store": ("courier.sync", "courier.cogrpc", "courier.net", "courier.panel",
                      "courier.app", "hw", "grpc"),
    "courier.sync": ("courier.store", "courier.cogrpc", "courier.net", "courier.panel",
                     "courier.app", "hw", "grpc", "asyncio"),
    "courier.panel": ("courier.sync", "courier.store", "courier.cogrpc", "courier.net",
                      "courier.app", "hw", "grpc", "asyncio"),
    "hw": ("courier.protocol", "courier.store", "courier.sync", "courier.cogrpc"),
}


def _loaded_after_import(package: str) -> set[str]:
    code = (
        "import importlib, json, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(info.name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_only_what_it_may(package: str) -> None:
    loaded = _loaded_after_import(package)
    bad = sorted(
        name for name in loaded
        for prefix in FORBIDDEN[package]
        if name == prefix or name.startswith(prefix + ".")
    )
    assert not bad, f"{package} pulls in {bad}"
