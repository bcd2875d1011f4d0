"""The JSON logs keep the cause of a 500: exception type, message and traceback as fields, never in the body."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import get
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.app.logs import JsonFormatter, configure_logging
from tests.hosting.conftest import BASE_URL


class _Boom(RuntimeError):
    pass


@get("/boom-for-test", sync_to_thread=False)
def _boom() -> dict[str, str]:
    try:
        {}["missing-key"]
    except KeyError as exc:
        raise _Boom("secret detail: the ledger is inconsistent") from exc
    return {}


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    logger = logging.getLogger("hosting")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    stream = io.StringIO()
    configure_logging(stream)
    try:
        yield stream
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


def _entries(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]


def test_a_failing_handler_is_a_json_500_and_a_log_line_with_its_cause(settings: Settings,
                                                                        log_lines: io.StringIO) -> None:
    app = create_app(settings)
    app.register(_boom)
    with TestClient(app, base_url=BASE_URL) as client:
        response = client.get("/boom-for-test")
    assert response.status_code == 500
    assert response.json() == {"code": "InternalError", "message": "internal error"}
    assert "Traceback" not in response.text and "ledger" not in response.text and "_Boom" not in response.text

    (entry,) = [e for e in _entries(log_lines) if e["message"].startswith("unhandled error")]
    assert entry["level"] == "error" and entry["message"] == "unhandled error on GET /boom-for-test"
    assert entry["exc_type"] == f"{__name__}._Boom"
    assert entry["exc_message"] == "secret detail: the ledger is inconsistent"
    trace = entry["traceback"]
    assert trace.startswith("Traceback (most recent call last):") and "in _boom" in trace
    assert "KeyError: 'missing-key'" in trace  # the chained cause too
    assert trace.endswith(f"{__name__}._Boom: secret detail: the ledger is inconsistent")


def test_records_without_an_exception_have_no_exception_fields() -> None:
    record = logging.LogRecord("hosting.notify", logging.INFO, __file__, 1, "sent %d", (3,), None)
    assert json.loads(JsonFormatter().format(record)) == {"event": "log", "level": "info",
                                                          "logger": "hosting.notify", "message": "sent 3"}
    access = logging.LogRecord("hosting.access", logging.INFO, __file__, 1, '{"event": "request"}', None, None)
    assert JsonFormatter().format(access) == '{"event": "request"}'  # the access log's lines pass as they are
