"""The earner pages' in-process rate limiter: fixed windows per key, ``Retry-After`` to the window's end."""

from __future__ import annotations

import pytest

from hosting.lib.errors import TooManyRequests
from hosting.lib.ratelimit import RateLimiter


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limit_per_key_and_window() -> None:
    clock = _Clock()
    limiter = RateLimiter(2, window=60, clock=clock)
    limiter.hit("a")
    limiter.hit("a")
    limiter.hit("b")  # another key has its own budget
    clock.now += 15
    with pytest.raises(TooManyRequests) as caught:
        limiter.hit("a")
    assert caught.value.retry_after == 45
    clock.now += 45  # the window is over
    limiter.hit("a")
    limiter.hit("a")
    with pytest.raises(TooManyRequests):
        limiter.hit("a")


def test_refused_hits_do_not_extend_the_window() -> None:
    clock = _Clock()
    limiter = RateLimiter(1, window=10, clock=clock)
    limiter.hit("a")
    for _ in range(5):
        clock.now += 1
        with pytest.raises(TooManyRequests):
            limiter.hit("a")
    clock.now += 5
    limiter.hit("a")
