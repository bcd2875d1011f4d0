"""``wrk`` (the HTTP load generator) for the benchmarks: start it against a list of paths, read its figures."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Load", "WrkRun", "find_wrk"]

_ROTATE = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], {["Accept"] = "application/ld+json"})
end
"""


@dataclass(frozen=True)
class Load:
    """What one ``wrk`` run measured: requests a second, latency percentiles (ms), and error answers."""

    rps: float
    p50: float
    p99: float
    errors: int


def find_wrk() -> str | None:
    """The ``wrk`` executable, or ``None`` (install it with ``apt-get install wrk``)."""
    return shutil.which("wrk")


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not found:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def parse(out: str) -> Load:
    """The figures of ``wrk --latency`` output."""
    def field(pattern: str) -> str:
        found = re.search(pattern, out)
        if not found:
            raise RuntimeError(f"wrk output without {pattern!r}:\n{out}")
        return found.group(1)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(float(field(r"Requests/sec:\s+([\d.]+)")), _ms(field(r"\s50%\s+(\S+)")),
                _ms(field(r"\s99%\s+(\S+)")), int(errors.group(1)) if errors else 0)


class WrkRun:
    """One ``wrk`` process started against ``base`` rotating over ``paths``; :meth:`result` waits for it."""

    def __init__(self, wrk: str, base: str, paths: list[str], *, connections: int, seconds: float,
                 workdir: Path, name: str) -> None:
        listing = workdir / f"{name}.paths"
        listing.write_text("\n".join(paths) + "\n")
        script = workdir / f"{name}.lua"
        script.write_text(_ROTATE % listing)
        cmd = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s",
               "-s", str(script), base]
        self._seconds = seconds
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def result(self) -> Load:
        out, _ = self._proc.communicate(timeout=self._seconds + 60)
        if self._proc.returncode:
            raise RuntimeError(f"wrk failed ({self._proc.returncode}):\n{out}")
        return parse(out)
