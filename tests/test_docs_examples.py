"""Every ```python block of the docs runs: each page's blocks in order, in one fresh namespace, in a tmp folder.

The tmp folder holds a link to ``fixtures/`` (examples use the sample badges from there, as they would from a
checkout's root). Nothing reaches the network: the examples verify offline (``documents=``, a fixture fetcher),
and a guard refuses every name lookup and connection that is not loopback while they run.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md", ROOT / "fixtures" / "README.md"])
BLOCK = re.compile(r"^```python\n(.*?)^```", flags=re.DOTALL | re.MULTILINE)


def _blocks(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"docs examples may not reach {host!r}")
        return real(self, address)

    real_resolve = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "::1", "localhost", None):
            raise socket.gaierror(f"docs examples may not resolve {host!r}")
        return real_resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


def test_pages_are_found() -> None:
    counts = {p.relative_to(ROOT).as_posix(): len(_blocks(p)) for p in PAGES}
    assert counts["docs/verification.md"] >= 2 and counts["docs/ob3.md"] >= 4, counts
    assert sum(counts.values()) >= 15, counts


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p)], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           loopback_only: None) -> None:
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENBADGES_DATABASE_URL", raising=False)
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    for line, block in _blocks(page):
        code = compile("\n" * (line - 1) + block, str(page), "exec")  # tracebacks point at the page's lines
        exec(code, namespace)  # noqa: S102 - our own documentation
    assert os.getcwd() == str(tmp_path)
