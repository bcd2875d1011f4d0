"""Headless Chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``): no extra package.

Used to record every request a page makes (``Network.requestWillBeSent`` of that page only, so Chromium's own
background traffic is not counted; a request the page's CSP blocks is still recorded), its log, and to
evaluate JavaScript in it.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Browser:
    def __init__(self, proc: subprocess.Popen[bytes], write_fd: int, read_fd: int) -> None:
        self.proc, self._w, self._r = proc, write_fd, read_fd
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, timeout: float) -> dict[str, Any] | None:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._r], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            got = self._read(0.5)
            if got is None:
                continue
            if got.get("id") == self._id:
                if "error" in got:
                    raise RuntimeError(f"{method}: {got['error']}")
                result: dict[str, Any] = got["result"]
                return result
            self.events.append(got)
        raise TimeoutError(method)

    def pump(self, seconds: float, until: str | None = None) -> bool:
        """Collect events for ``seconds`` (or until an event named ``until`` has arrived)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if until and any(e.get("method") == until for e in self.events):
                return True
            got = self._read(0.1)
            if got is not None:
                self.events.append(got)
        return until is None

    def open_page(self, url: str, settle: float = 1.5) -> str:
        """Open ``url`` in a new tab recording its network requests; returns the tab's session id."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = str(self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"])
        self.call("Network.enable", session)
        self.call("Page.enable", session)
        self.call("Log.enable", session)
        self.call("Page.navigate", session, url=url)
        if not self.pump(30, until="Page.loadEventFired"):
            raise TimeoutError(f"{url} did not load")
        self.pump(settle)
        return session

    def requested_urls(self, session: str) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session]

    def log_entries(self, session: str) -> list[dict[str, Any]]:
        """The page's log: console errors, Content-Security-Policy violations (``source == "security"``) …"""
        return [e["params"]["entry"] for e in self.events
                if e.get("method") == "Log.entryAdded" and e.get("sessionId") == session]

    def evaluate(self, session: str, expression: str) -> Any:
        return self.call("Runtime.evaluate", session, expression=expression, returnByValue=True)["result"]["value"]


@contextmanager
def chromium(executable: str) -> Iterator[Browser]:
    """A headless Chromium speaking DevTools on fds 3 (commands in) and 4 (replies out)."""
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    # bash puts the pipe ends on fds 3 and 4 for Chromium (no preexec_fn: tests run servers in threads).
    wire = f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w} {to_chrome_r}<&- {from_chrome_w}>&-'
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen(
            ["bash", "-c", wire, "bash", executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-sync", "--disable-background-networking", "--disable-component-update",
             f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            pass_fds=(to_chrome_r, from_chrome_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        browser = Browser(proc, to_chrome_w, from_chrome_r)
        try:
            yield browser
        finally:
            try:
                browser.call("Browser.close")
            except (RuntimeError, TimeoutError, OSError):
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            os.close(to_chrome_w)
            os.close(from_chrome_r)
