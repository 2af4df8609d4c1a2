"""Run benchmarks and print their figures as a table: `python -m bench.run [--quick] [NAME...]`."""

import argparse
import importlib
import pkgutil
import sys

import bench
from bench.common import Figure


def _modules(names: list[str]) -> list[str]:
    found = sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules(bench.__path__)
        if info.name.startswith("bench_")
    )
    unknown = set(names) - set(found)
    if unknown:
        sys.exit(f"unknown benchmarks: {sorted(unknown)}; have {found}")
    return names or found


def _print(module: str, figures: list[Figure]) -> None:
    print(f"\n## {module}")
    print(f"{'figure':<52} {'value':>12} {'unit':<10} {'baseline':>12} {'ratio':>7}  target")
    for fig in figures:
        base = f"{fig.baseline:12.1f}" if fig.baseline is not None else " " * 12
        ratio = f"{fig.ratio:7.2f}" if fig.ratio is not None else " " * 7
        print(f"{fig.name:<52} {fig.value:12.1f} {fig.unit:<10} {base} {ratio}  {fig.target}")
    sys.stdout.flush()


def main() -> None:
    """Run the chosen benchmarks (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("names", nargs="*", help="benchmarks to run (file names without bench_)")
    args = parser.parse_args()
    for name in _modules(args.names):
        module = importlib.import_module(f"bench.bench_{name}")
        _print(name, module.run(quick=args.quick))


if __name__ == "__main__":
    main()
