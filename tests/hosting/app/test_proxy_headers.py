"""``openbadges-server run --proxy-headers --forwarded-allow-ips …``: X-Forwarded-For/-Proto are honoured from a
trusted proxy's address and ignored from any other (and ignored altogether without ``--proxy-headers``).

A live server on 127.0.0.1; the clients connect from two loopback addresses (127.0.0.2 is the "proxy",
127.0.0.1 is anybody else). What the app saw is read from its access log (client address and scheme).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from benchmarks._live import free_port, stop_server, wait_healthy
from hosting.storage.migrate import migrate

REPO = Path(__file__).resolve().parents[3]
FORWARDED = {"x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https"}


@contextmanager
def _server(tmp: Path, *options: str) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    db = f"sqlite+aiosqlite:///{tmp / 'proxy.db'}"
    migrate(db)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("OPENBADGES_")},
           "OPENBADGES_DATABASE_URL": db, "OPENBADGES_BASE_URL": base, "OPENBADGES_SECRET_KEY": "p" * 24,
           "OPENBADGES_ACCESS_LOG": "1"}
    log = tmp / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", "from hosting.app.entry import main; main()", "run",
                                 "--host", "127.0.0.1", "--port", str(port), *options],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp)
    try:
        wait_healthy(proc, base, log)
        yield base, log, proc
    finally:
        stop_server(proc)


def _seen(base: str, log: Path, source: str, marker: str) -> dict[str, object]:
    """GET an unknown assertion (404) from ``source`` with forwarded headers; the access-log entry the app wrote."""
    path = f"/public/assertions/probe-{marker}"  # a route (middleware runs), answering 404
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
        assert client.get(f"{base}{path}", headers=FORWARDED).status_code == 404
    return _entry(log, path)


def _entry(log: Path, path: str) -> dict[str, object]:
    """The access-log entry of ``path`` (written as the response ends: waits a little for it)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("{") and f'"path": "{path}"' in line:
                entry: dict[str, object] = json.loads(line)
                return entry
        time.sleep(0.05)
    raise AssertionError(f"no access-log entry for {path}: {log.read_text()[-2000:]}")


def test_forwarded_headers_are_trusted_only_from_the_allowed_proxy(tmp_path: Path) -> None:
    with _server(tmp_path, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.2", "--workers", "2") as (
            base, log, proc):
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if children.exists():  # uvicorn's supervisor and its two worker processes
            assert len(children.read_text().split()) >= 2
        trusted = _seen(base, log, "127.0.0.2", "trusted")
        assert trusted["client"] == "203.0.113.7" and trusted["scheme"] == "https"
        other = _seen(base, log, "127.0.0.1", "other")
        assert other["client"] == "127.0.0.1" and other["scheme"] == "http"


def test_forwarded_headers_are_ignored_without_proxy_headers(tmp_path: Path) -> None:
    with _server(tmp_path) as (base, log, _):
        entry = _seen(base, log, "127.0.0.1", "plain")
    assert entry["client"] == "127.0.0.1" and entry["scheme"] == "http"


@pytest.mark.parametrize("allowed", ["*", "127.0.0.0/30"])
def test_networks_and_star_are_accepted(tmp_path: Path, allowed: str) -> None:
    with _server(tmp_path, "--proxy-headers", "--forwarded-allow-ips", allowed) as (base, log, _):
        entry = _seen(base, log, "127.0.0.1", "any")
    assert entry["client"] == "203.0.113.7" and entry["scheme"] == "https"


def test_the_shipped_caddyfile_terminates_tls_and_forwards_the_client(tmp_path: Path) -> None:
    """deploy/Caddyfile in front of the server (only its addresses changed for the test): the app sees the
    client's own address and https, through headers it trusts from the proxy only."""
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("Caddy not installed (apt-get install caddy): the shipped Caddyfile is not exercised here")
    with _server(tmp_path, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1") as (base, log, _):
        port = free_port()
        text = (REPO / "deploy" / "Caddyfile").read_text()
        assert "reverse_proxy server:8000" in text
        text = text.replace("reverse_proxy server:8000", f"reverse_proxy {base.removeprefix('http://')}")
        # Test-only globals: no admin port, no plain-http listener, no system trust store, files in tmp.
        text = text.replace("{\n", f"{{\n\tadmin off\n\tauto_https disable_redirects\n\tskip_install_trust\n"
                                   f"\tstorage file_system {tmp_path / 'caddy'}\n", 1)
        config = tmp_path / "Caddyfile"
        config.write_text(text)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "OPENBADGES_DOMAIN": f"localhost:{port}"}
        with open(tmp_path / "caddy.log", "wb") as out:
            proxy = subprocess.Popen([caddy, "run", "--config", str(config), "--adapter", "caddyfile"], env=env,
                                     stdout=out, stderr=subprocess.STDOUT)
        try:
            origin = f"https://localhost:{port}"
            transport = httpx.HTTPTransport(local_address="127.0.0.3", verify=False)  # Caddy's internal CA
            deadline = time.monotonic() + 30
            with httpx.Client(transport=transport) as client:
                while True:
                    try:
                        if client.get(f"{origin}/healthz").status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    assert proxy.poll() is None and time.monotonic() < deadline, \
                        (tmp_path / "caddy.log").read_text()[-2000:]
                    time.sleep(0.2)
                res = client.get(f"{origin}/public/assertions/probe-caddy")
            assert res.status_code == 404 and res.http_version == "HTTP/1.1"
            entry = _entry(log, "/public/assertions/probe-caddy")
            assert entry["client"] == "127.0.0.3" and entry["scheme"] == "https"
        finally:
            proxy.terminate()
            proxy.wait(timeout=15)
