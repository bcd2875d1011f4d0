"""Form bombs and error-body caps: a form, multipart or JSON body with too many fields is a cheap 413
``PayloadTooLarge`` (parsed no further), and no error body lists more than 100 ``details``/``errors`` (the rest
are counted in ``details_omitted``/``errors_omitted``); a Content-Length that is not ASCII digits is a 400, one
over the cap a 413 before the body is read — on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from litestar.testing import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer
from _issue_support import Team, api_fixture, count_assertions, team_fixture  # noqa: F401 - fixtures
from conftest import BASE_URL

from hosting.api.assertions.inputs import MAX_BATCH_BODY_BYTES
from hosting.app.errors import MAX_DETAILS
from hosting.lib.body import MAX_FIELDS


def _too_large(res: Any, what: str) -> None:
    assert res.status_code == 413, res.text
    body = res.json()
    assert body["code"] == "PayloadTooLarge"
    assert body["details"] == [{"field": "body", "message": f"more than {MAX_FIELDS} {what}", "value": None}]
    assert len(res.content) < 1000


def test_a_form_bomb_is_413_with_a_small_body(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    bomb = "&".join(f"f{i}=x" for i in range(300_000)).encode()  # ~3 MB, 300k unknown fields
    res = api.post(team.issue_path(badge), content=bomb, headers={
        **bearer(team.owner), "Content-Type": "application/x-www-form-urlencoded"})
    _too_large(res, "form fields")
    assert count_assertions(team.settings, badge) == 0


def test_a_form_at_the_cap_is_parsed(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    fields = [("recipient", "cap@example.org"), ("notify", "false")]
    res = api.post(team.issue_path(badge), data=dict(fields), headers=bearer(team.owner))
    assert res.status_code == 201, res.text
    unknown = "&".join(f"u{i}=x" for i in range(MAX_FIELDS - 1)).encode()  # MAX_FIELDS - 1 fields: parsed
    res = api.post(team.issue_path(badge), content=unknown, headers={
        **bearer(team.owner), "Content-Type": "application/x-www-form-urlencoded"})
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"


def test_too_many_multipart_parts_is_413(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    files = [(f"p{i}", (None, "x")) for i in range(MAX_FIELDS + 50)]
    res = api.post(team.issue_path(badge), files=files, headers=bearer(team.owner))
    _too_large(res, "multipart parts")


def test_a_json_object_with_too_many_keys_is_413(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    res = api.post(team.issue_path(badge), json={f"k{i}": 1 for i in range(MAX_FIELDS + 1)},
                   headers=bearer(team.owner))
    _too_large(res, "fields in the JSON object")


def test_details_are_capped_and_the_rest_counted(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    body = {"recipient": "x@example.org", **{f"k{i:03d}": 1 for i in range(150)}}
    res = api.post(team.issue_path(badge), json=body, headers=bearer(team.owner))
    assert res.status_code == 400, res.text
    out = res.json()
    assert len(out["details"]) == MAX_DETAILS and out["details_omitted"] == 150 - MAX_DETAILS
    assert out["details"][0] == {"field": "k000", "message": "unknown field", "value": None}


def test_batch_errors_are_capped_and_the_rest_counted(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    items = [{"recipient": "not an email"} for _ in range(MAX_DETAILS + 30)]
    res = api.post(f"{team.issue_path(badge)}/batch", json={"assertions": items}, headers=bearer(team.owner))
    assert res.status_code == 422, res.text
    out = res.json()
    assert len(out["errors"]) == MAX_DETAILS and out["errors_omitted"] == 30
    assert out["error_index"] == 0 and out["errors"][-1]["index"] == MAX_DETAILS - 1


def test_small_error_bodies_have_no_omitted_count(api: TestClient[Any], team: Team) -> None:
    res = api.post(team.issue_path(team.badge()), json={"recipient": "x@example.org", "zz": 1},
                   headers=bearer(team.owner))
    assert res.status_code == 400 and "details_omitted" not in res.json()


def _raw_post(api: TestClient[Any], path: str, headers: dict[bytes, bytes], body: bytes) -> tuple[int, Any]:
    """POST through the app as an ASGI server hands it over, with the headers exactly as given (a test client
    would write its own Content-Length); the status and the JSON body."""
    sent: list[Any] = []
    messages: list[Any] = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> Any:
        if messages:
            return messages.pop(0)
        await anyio.sleep_forever()

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", BASE_URL.split("//")[1].encode()), *headers.items()],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80), "state": {}}
    api.blocking_portal.call(api.app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], json.loads(b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"))


@pytest.mark.parametrize("length", [
    "²".encode("latin-1"),  # str.isdigit() holds, int() refuses it: was a 500
    "٣".encode(), "+5", " 5", "5 ", "-1", "0x10", "1_0", "", "9" * 5000,  # int() refuses 4,301 digits: was a 500
])
def test_a_content_length_not_in_ascii_digits_is_400(api: TestClient[Any], team: Team, length: str | bytes) -> None:
    badge = team.badge()
    body = json.dumps({"recipient": "length@example.org", "notify": False}).encode()
    raw = length if isinstance(length, bytes) else length.encode()
    status, answer = _raw_post(api, team.issue_path(badge), {
        b"authorization": f"Bearer {team.owner}".encode(), b"content-type": b"application/json",
        b"content-length": raw}, body)
    assert status == 400, answer
    assert answer["code"] == "ValidationError"
    assert [d["field"] for d in answer["details"]] == ["content-length"]
    assert count_assertions(team.settings, badge) == 0


@pytest.mark.parametrize("length", [str(10**30), "0" * 4000 + str(10**30), str(MAX_BATCH_BODY_BYTES + 1)])
def test_a_huge_content_length_is_413_before_the_body(api: TestClient[Any], team: Team, length: str) -> None:
    badge = team.badge()
    status, answer = _raw_post(api, team.issue_path(badge), {
        b"authorization": f"Bearer {team.owner}".encode(), b"content-type": b"application/json",
        b"content-length": length.encode()}, b"{}")
    assert status == 413 and answer["code"] == "PayloadTooLarge", answer


def test_a_plain_content_length_still_issues(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    body = json.dumps({"recipient": "plain@example.org", "notify": False}).encode()
    status, answer = _raw_post(api, team.issue_path(badge), {
        b"authorization": f"Bearer {team.owner}".encode(), b"content-type": b"application/json",
        b"content-length": str(len(body)).encode()}, body)
    assert status == 201, answer
    assert count_assertions(team.settings, badge) == 1
