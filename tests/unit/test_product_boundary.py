"""Test material stays out of the product: no product import of courier.testing, none in a wheel."""

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import REPO

TESTING = "courier.testing"


def _product_modules() -> list[Path]:
    """Return every Python file of the installed product (courier and hw), courier.testing aside."""
    files = sorted((REPO / "courier").rglob("*.py")) + sorted((REPO / "hw").rglob("*.py"))
    return [f for f in files if "testing" not in f.relative_to(REPO).parts]


def _imported(tree: ast.AST) -> set[str]:
    """Return the module names a module imports (absolute; relative imports are not used)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_product_module_imports_the_test_makers() -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(n for n in _imported(ast.parse(path.read_text()))
                                            if n == TESTING or n.startswith(TESTING + "."))
        for path in _product_modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_protocol_package_exports_no_maker() -> None:
    import courier.protocol  # noqa: PLC0415 - checked as the product sees it

    makers = {"generate_rsa_key", "issue_certificate", "serialize_message"}
    assert makers.isdisjoint(courier.protocol.__all__)
    assert makers.isdisjoint(vars(courier.protocol))


def test_the_built_wheel_holds_no_test_makers(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("courier", "hw"):
        shutil.copytree(REPO / package, source / package, ignore=ignore)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "-q", "-w", str(tmp_path / "dist"), str(source)],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "courier/protocol/ramf.py" in names  # the product is there
    assert [n for n in names if n.startswith("courier/testing")] == []
