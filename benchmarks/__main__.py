"""Run the benchmarks: ``python -m benchmarks`` runs every ``bench_*.py``; ``python -m benchmarks signing``
runs ``bench_signing.py`` only. Other arguments starting with ``-`` (e.g. ``--quick``, ``--seconds 10``) are passed on.

Each benchmark module has ``main(argv) -> int`` (0: targets met, 1: a target missed); the exit code is
1 when any benchmark missed a target, 2 for an unknown benchmark name.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path


def available() -> list[str]:
    """Names of the benchmarks (``bench_<name>.py`` → ``<name>``), sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))


def main(argv: list[str]) -> int:
    # Options, and the numbers after them (``--seconds 10``), are passed on; other words name benchmarks.
    options = [a for a in argv if a.startswith("-") or a.replace(".", "", 1).isdigit()]
    names = [a.removeprefix("bench_").removesuffix(".py") for a in argv if a not in options]
    known = available()
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(known)}", file=sys.stderr)
        return 2
    status = 0
    for name in names or known:
        module = importlib.import_module(f"benchmarks.bench_{name}")
        print(f"== {name} ==", flush=True)
        takes_argv = bool(inspect.signature(module.main).parameters)
        result = module.main(options) if takes_argv else module.main()
        status = max(status, 1 if result else 0)
        print(flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
