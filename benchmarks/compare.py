"""Run the same benchmarks against two checkouts in one run and print both figures and their ratio.

``python -m benchmarks.compare --old DIR [--old-python PY] [--new DIR] [--new-python PY] [--rounds N] NAME… [--quick]``

Each checkout runs its own ``python -m benchmarks NAME`` (with ``PYTHONPATH`` set to the checkout and from inside
it), so an old checkout benchmarks its own code with its own benchmark script and, through ``--old-python``, its
own virtual environment (e.g. one that still has the dependencies the old code needs). The two sides alternate,
``--rounds`` times (default 1), so machine load falls on both alike. Other options starting with ``-`` (e.g.
``--quick``) are passed on to the benchmarks; ``OPENBADGES_TEST_DATABASE_URL`` is passed on as set.

A figure is a number on a line of a benchmark's output; lines are paired between the two sides by their text with
the numbers (and file paths, and a target's met/MISSED) taken out; the median over the rounds is printed, and each
round's main figure. ``new/old`` is the ratio of the main figures: a table row's req/s, else a line's first figure
with a unit of time or rate, else its first figure. For a time (s, ms) below 1 means faster, for a rate (/s, req/s)
above 1 means faster.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_PATH = re.compile(r"(?:/[\w.+-]+){2,}")
_TIMED = re.compile(r"#\s?(?:ms|s|/s)\b")
_TABLE_ROW = re.compile(r"# # # #%$")  # a row of a req/s, p50, p99, share-of-baseline table
_VERDICT = re.compile(r"\b(?:met|MISSED)\b")

Figures = dict[str, list[float]]


def figures(output: str) -> Figures:
    """The numbers of each output line that has any, keyed by the line's text without numbers and paths."""
    found: Figures = {}
    for line in output.splitlines():
        line = _PATH.sub("…", line)
        numbers = [float(n.replace(",", "")) for n in _NUMBER.findall(line)]
        if numbers:
            key = " ".join(_VERDICT.sub("met?", _NUMBER.sub("#", line)).split())
            found.setdefault(key, numbers)
    return found


def _run(checkout: Path, python: str, name: str, options: list[str]) -> str:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([python, "-m", "benchmarks", name, *options], cwd=checkout, env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: a target missed, the figures still count
        raise RuntimeError(f"{checkout}: benchmark {name} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def _median(rounds: list[Figures], key: str) -> list[float] | None:
    runs = [r[key] for r in rounds if key in r]
    if not runs:
        return None
    width = min(len(r) for r in runs)
    return [statistics.median(r[i] for r in runs) for i in range(width)]


def _show(numbers: list[float] | None) -> str:
    return "—" if numbers is None else " ".join(f"{n:g}" for n in numbers)


def _main_figure(key: str) -> int:
    """Which figure of a line the ratio compares: a table row's req/s, else the first with a unit of time or rate,
    else the first."""
    if _TABLE_ROW.search(key):
        return key.count("#") - 4
    timed = _TIMED.search(key)
    return key[:timed.start()].count("#") if timed else 0


def report(name: str, old: list[Figures], new: list[Figures]) -> list[str]:
    """One line per paired output line: its text, the old and new figures and new/old of its main figure."""
    lines = [f"== {name}: old | new | new/old (main figure) =="]
    keys = list(dict.fromkeys(k for r in [*new, *old] for k in r))
    for key in keys:
        before, after, i = _median(old, key), _median(new, key), _main_figure(key)
        ratio = (f"{after[i] / before[i]:.2f}" if before and after and len(before) > i and len(after) > i
                 and before[i] else "—")
        rounds = "; ".join(f"{side}: " + ", ".join(f"{r[key][i]:g}" for r in runs if key in r and len(r[key]) > i)
                           for side, runs in (("old", old), ("new", new)))
        lines.append(f"{key}\n    old: {_show(before)} | new: {_show(after)} | new/old: {ratio}"
                     f"\n    each round ({rounds})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--old-python", default=sys.executable, help="its interpreter (default: this one)")
    parser.add_argument("--new", type=Path, default=Path(__file__).resolve().parent.parent,
                        help="the checkout under test (default: this one)")
    parser.add_argument("--new-python", default=sys.executable, help="its interpreter (default: this one)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("names", nargs="+", help="benchmark names, e.g. api_issue hosting")
    args, options = parser.parse_known_args(argv)
    sides = {"old": (args.old.resolve(), args.old_python), "new": (args.new.resolve(), args.new_python)}
    for name in args.names:
        results: dict[str, list[Figures]] = {"old": [], "new": []}
        for round_ in range(args.rounds):
            for side, (checkout, python) in sides.items():
                print(f"[{name}] round {round_ + 1}/{args.rounds}: {side} ({checkout})", file=sys.stderr, flush=True)
                results[side].append(figures(_run(checkout, python, name, options)))
        print("\n".join(report(name, results["old"], results["new"])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
