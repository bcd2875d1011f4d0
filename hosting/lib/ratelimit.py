"""A small in-process rate limiter: the public earner pages (per client IP, per claim code) and failed OAuth2
password logins (per account).

Fixed windows kept in a dict; the state is **per process** (several workers or servers each allow
the limit: docs/operations.md). Over the limit raises :class:`~hosting.lib.errors.TooManyRequests` with the
seconds until the window ends (answered 429 with ``Retry-After``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from hosting.lib.errors import TooManyRequests

__all__ = ["RateLimiter"]

_MAX_KEYS = 100_000


class RateLimiter:
    """At most ``limit`` hits per key in each ``window`` seconds."""

    def __init__(self, limit: int, *, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, tuple[float, int]] = {}  # key → (window start, hits in it)

    def wait(self, key: str) -> int:
        """Whole seconds until ``key`` may hit again (0: now); counts nothing."""
        now = self._clock()
        start, count = self._hits.get(key, (now, 0))
        if now - start >= self.window or count < self.limit:
            return 0
        return max(1, math.ceil(start + self.window - now))

    def hit(self, key: str, what: str = "requests") -> None:
        """Count one hit for ``key``; :class:`TooManyRequests` when it is over the limit."""
        retry = self.wait(key)
        if retry:
            raise TooManyRequests(f"too many {what}; retry in {retry} s", retry_after=retry)
        now = self._clock()
        start, count = self._hits.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        if key not in self._hits and len(self._hits) >= _MAX_KEYS:
            self._prune(now)
        self._hits[key] = (start, count + 1)

    def _prune(self, now: float) -> None:
        for key in [k for k, (start, _) in self._hits.items() if now - start >= self.window] or list(self._hits):
            del self._hits[key]

    def forget(self, key: str) -> None:
        """Drop ``key``'s hits (a fresh budget)."""
        self._hits.pop(key, None)
