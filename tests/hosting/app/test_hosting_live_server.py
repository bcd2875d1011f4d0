"""A real uvicorn process serving hosted assertions, checked by the library's own verifier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _hosting_live import LiveServer, live_server

import openbadges_core as ob


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live")) as srv:
        yield srv


def _verify(target: str | bytes) -> ob.VerificationReport:
    return ob.verify(target, options=ob.VerifyOptions(allow_private_network=True))


def test_verifier_accepts_a_hosted_assertion_from_the_live_server(server: LiveServer) -> None:
    report = _verify(server.urls.assertion(server.demo.active))
    assert report.valid, report.to_dict()
    assert report.revoked is False
    assert report.recipient_match is None or report.recipient_match


def test_verifier_matches_the_recipient_of_a_hosted_assertion(server: LiveServer) -> None:
    report = ob.verify(server.urls.assertion(server.demo.active), recipient="ada@example.org",
                       options=ob.VerifyOptions(allow_private_network=True))
    assert report.valid and report.recipient_match is True


def test_verifier_accepts_the_signed_assertion_from_its_baked_image(server: LiveServer) -> None:
    image = httpx.get(server.urls.assertion_image(server.demo.signed)).content
    report = _verify(image)
    assert report.valid, report.to_dict()
    assert report.verification_type in ("signed", "SignedBadge")


def test_verifier_accepts_a_baked_hosted_image(server: LiveServer) -> None:
    image = httpx.get(server.urls.assertion_image(server.demo.active)).content
    report = _verify(image)
    assert report.valid, report.to_dict()


def test_verifier_reports_a_revoked_hosted_assertion_as_revoked(server: LiveServer) -> None:
    report = _verify(server.urls.assertion(server.demo.revoked))
    assert not report.valid
    assert report.revoked is True


def test_verifier_follows_a_replaced_assertion_to_the_newest(server: LiveServer) -> None:
    report = _verify(server.urls.assertion(server.demo.replaced))
    assert report.assertion is not None
    served_id = report.assertion["id"] if isinstance(report.assertion, dict) else report.assertion.id
    assert served_id == server.urls.assertion(server.demo.replacement)


def test_live_server_serves_head_and_304_over_a_socket(server: LiveServer) -> None:
    url = server.urls.assertion(server.demo.active)
    got = httpx.get(url)
    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
    assert httpx.get(url, headers={"if-none-match": got.headers["etag"]}).status_code == 304
    assert json.loads(got.content)["id"] == url


def test_access_log_lines_are_json(server: LiveServer) -> None:
    httpx.get(f"{server.base_url}/healthz")
    lines = [json.loads(line) for line in Path(server.log).read_text().splitlines() if line.startswith("{")]
    assert any(line.get("event") == "access" and line.get("path") == "/healthz" for line in lines)
