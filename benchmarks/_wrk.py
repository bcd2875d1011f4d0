"""``wrk`` (the HTTP load generator) for the benchmarks: write a script rotating over paths, run it (waiting, or in
the background beside another run), read its figures."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Load", "WrkRun", "find_wrk", "parse", "rotate_script", "run_wrk"]

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
    """What one ``wrk`` run measured: requests a second, latency percentiles (ms), requests, error answers."""

    rps: float
    p50: float
    p99: float
    requests: int
    errors: int


def find_wrk() -> str | None:
    """The ``wrk`` executable; installed with apt-get when missing and running as root (unless
    ``OPENBADGES_BENCH_NO_APT`` is set); else ``None``."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or os.environ.get("OPENBADGES_BENCH_NO_APT"):
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("wrk")


def rotate_script(paths: list[str], workdir: Path, name: str) -> Path:
    """A wrk script requesting ``paths`` in turn (``Accept: application/ld+json``)."""
    listing = workdir / f"{name}.paths"
    listing.write_text("\n".join(paths) + "\n")
    script = workdir / f"{name}.lua"
    script.write_text(_ROTATE % listing)
    return script


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
                _ms(field(r"\s99%\s+(\S+)")), int(field(r"(\d+) requests in")),
                int(errors.group(1)) if errors else 0)


def _command(wrk: str, url: str, *, connections: int, seconds: float, script: Path | None,
             header: str | None) -> list[str]:
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", str(script)]
    if header:
        cmd += ["-H", header]
    return [*cmd, url]


class WrkRun:
    """One ``wrk`` process started against ``url`` (with ``script``, e.g. :func:`rotate_script`, or ``header``);
    :meth:`result` waits for it."""

    def __init__(self, wrk: str, url: str, *, connections: int, seconds: float, script: Path | None = None,
                 header: str | None = None) -> None:
        self._seconds = seconds
        self._proc = subprocess.Popen(
            _command(wrk, url, connections=connections, seconds=seconds, script=script, header=header),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def result(self) -> Load:
        out, _ = self._proc.communicate(timeout=self._seconds + 60)
        if self._proc.returncode:
            raise RuntimeError(f"wrk failed ({self._proc.returncode}):\n{out}")
        return parse(out)


def run_wrk(wrk: str, url: str, *, connections: int, seconds: float, script: Path | None = None,
            header: str | None = None) -> Load:
    """Run ``wrk`` and wait for its figures."""
    return WrkRun(wrk, url, connections=connections, seconds=seconds, script=script, header=header).result()
