"""The benchmarks read their figures from ``wrk``'s output: a misread would print wrong numbers silently."""

from __future__ import annotations

import pytest

from benchmarks._wrk import parse

OUTPUT = """Running 10s test @ http://127.0.0.1:8000
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.02ms  812.10us  31.20ms   91.50%
    Req/Sec    12.70k   601.22    13.51k    80.00%
  Latency Distribution
     50%    3.95ms
     75%    4.20ms
     90%    4.61ms
     99%  850.00us
  126402 requests in 10.01s, 180.21MB read
{errors}
Requests/sec:  12627.87
Transfer/sec:     18.00MB
"""


def test_figures_and_units() -> None:
    load = parse(OUTPUT.replace("{errors}", ""))
    assert load.requests == 126402
    assert load.rps == pytest.approx(12627.87)
    assert load.p50 == pytest.approx(3.95)
    assert load.p99 == pytest.approx(0.85)  # microseconds converted
    assert load.errors == 0


def test_error_answers_are_counted() -> None:
    assert parse(OUTPUT.replace("{errors}", "  Non-2xx or 3xx responses: 17")).errors == 17


def test_output_without_figures_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="Requests/sec"):
        parse("unable to connect to 127.0.0.1:8000 Connection refused\n")
