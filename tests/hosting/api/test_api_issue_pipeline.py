"""One issuance pipeline: every assertion row is INSERTed once in its final form (hosted document rendered,
signed JWS, OB 3.0 credential signed with its status index), never UPDATEd afterwards by the issue request;
and a public GET never writes, not even when the base URL changed since issue (it renders on the fly) nor
for a baked image (baked on request, kept in memory)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import event

import openbadges_core as ob
from hosting import Settings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _issue_support import Team, api_fixture, new_team, stored, team_fixture  # noqa: F401 - fixtures
from conftest import run_store

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@contextmanager
def _statements(client: TestClient[Any]) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    engine = client.app.state["hosting"].engine.sync_engine
    seen: list[str] = []

    def _record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _record)


def _assertion_writes(statements: list[str]) -> list[str]:
    return [s for s in statements if _WRITE.match(s) and re.search(r"\bassertions\b", s.split("(")[0])]


@pytest.mark.parametrize("body", [
    {}, {"verification": "signed"}, {"format": "ob3", "proof": "di"}, {"format": "ob3", "proof": "jwt"},
], ids=["hosted", "signed", "ob3-di", "ob3-jwt"])
def test_an_issue_inserts_the_row_once_in_its_final_form(api: TestClient[Any], team: Team, settings: Settings,
                                                        body: dict[str, Any]) -> None:
    badge = team.badge()
    if body.get("verification") == "signed":
        team.key()
    with _statements(api) as seen:
        res = team.issue(badge, notify=False, **body)
    assert res.status_code == 201, res.text
    writes = _assertion_writes(seen)
    assert len(writes) == 1 and writes[0].upper().startswith("INSERT INTO ASSERTIONS"), writes
    row = stored(settings, res.json()["assertion"]["id"])
    if body.get("format") == "ob3":
        assert row.format == "ob3" and row.credential and row.status_index is not None and row.key_id
        assert (row.jws is not None) == (body["proof"] == "jwt")
    else:
        assert row.document and row.document_etag and row.document_base == settings.base_url.rstrip("/")
        assert (row.jws is not None) == (body.get("verification") == "signed")


def test_public_gets_never_write_and_serve_the_stored_document(api: TestClient[Any], team: Team,
                                                              settings: Settings) -> None:
    badge = team.badge()
    team.key()
    made = team.issue(badge, notify=False).json()["assertion"]
    signed = team.issue(badge, notify=False, verification="signed").json()["assertion"]
    ob3 = team.issue(badge, notify=False, format="ob3").json()["assertion"]
    ob3_jwt = team.issue(badge, notify=False, format="ob3", proof="jwt").json()["assertion"]
    row = stored(settings, made["id"])
    paths = [f"/public/assertions/{made['id']}", f"/public/credentials/{ob3['id']}", f"/public/badges/{badge}",
             f"/public/issuers/{team.issuer['id']}", f"/public/issuers/{team.issuer['id']}/status/revocation",
             # the baked images, twice each: the first request bakes, the second may come from the cache
             *[f"/public/assertions/{made['id']}/image", f"/public/assertions/{signed['id']}/image",
               f"/public/credentials/{ob3['id']}/image", f"/public/credentials/{ob3_jwt['id']}/image"] * 2]
    with _statements(api) as seen:
        responses = [api.get(path) for path in paths]
    assert [r.status_code for r in responses] == [200] * len(paths), [r.text for r in responses]
    assert [s for s in seen if _WRITE.match(s)] == []
    assert responses[0].content == row.document
    assert row.document_etag and row.document_etag.strip('"') in responses[0].headers["etag"]
    baked = [ob.unbake(r.content).payload for r in responses[5:9]]
    assert json.loads(baked[0]) == json.loads(row.document or b"")
    assert baked[1] == stored(settings, signed["id"]).jws
    assert json.loads(baked[2]) == api.get(f"/public/credentials/{ob3['id']}").json()
    assert baked[3] == api.get(f"/public/credentials/{ob3_jwt['id']}/jwt").text
    assert [r.headers["etag"] for r in responses[5:9]] == [r.headers["etag"] for r in responses[9:]]


def test_a_changed_base_url_renders_on_the_fly_without_writing(api: TestClient[Any], team: Team,
                                                               settings: Settings) -> None:
    badge = team.badge()
    made = team.issue(badge, notify=False).json()["assertion"]
    before = stored(settings, made["id"])
    other = replace(settings, base_url="https://badges.example.net", public_cache_seconds=0)
    with TestClient(create_app(other), base_url="https://badges.example.net") as c, _statements(c) as seen:
        first = c.get(f"/public/assertions/{made['id']}")
        again = c.get(f"/public/assertions/{made['id']}", headers={"If-None-Match": first.headers["etag"]})
    assert first.status_code == 200 and again.status_code == 304
    assert first.json()["id"] == f"https://badges.example.net/public/assertions/{made['id']}"
    assert [s for s in seen if _WRITE.match(s)] == []
    after = stored(settings, made["id"])
    assert (after.document, after.document_base, after.updated_at) == (
        before.document, before.document_base, before.updated_at)


@pytest.mark.parametrize("proof", ["di", "jwt"])
def test_the_status_list_key_is_made_at_issue_not_on_the_first_list_get(api: TestClient[Any], settings: Settings,
                                                                       proof: str) -> None:
    team = new_team(settings, api)
    status = f"/public/issuers/{team.issuer['id']}/status/revocation"
    with _statements(api) as seen:
        before = api.get(status)
    assert before.status_code == 404 and "no OB 3.0 credential" in before.json()["message"]
    made = team.issue(team.badge(), notify=False, format="ob3", proof=proof)
    assert made.status_code == 201, made.text
    with _statements(api) as seen_after:
        listed = api.get(status)
    assert listed.status_code == 200 and "BitstringStatusListCredential" in listed.json()["type"]
    assert [s for s in seen + seen_after if _WRITE.match(s)] == []


def test_an_issuer_whose_credentials_predate_its_status_list_key_still_gets_a_list(
        api: TestClient[Any], settings: Settings) -> None:
    """Credentials issued before the key was made at issue (VC-JWT only, no Ed25519 key): the first list GET
    makes the key, once — the one write a public GET may still do, for data of older versions."""
    from sqlalchemy import select

    from hosting.storage.models import Issuer, SigningKey

    team = new_team(settings, api)
    assert team.issue(team.badge(), notify=False, format="ob3", proof="jwt").status_code == 201

    async def _retire_ed25519(store: Any) -> None:  # as an older version left it: no active Ed25519 key
        issuer = await store.session.scalar(select(Issuer).where(Issuer.public_id == team.issuer["id"]))
        for key in (await store.session.scalars(select(SigningKey).where(
                SigningKey.issuer_id == issuer.id, SigningKey.alg == "EdDSA"))).all():
            await store.retire_key(key)

    run_store(settings, _retire_ed25519)
    status = f"/public/issuers/{team.issuer['id']}/status/revocation"
    first = api.get(status)
    assert first.status_code == 200, first.text
    again = api.get(status)
    assert again.json()["proof"]["verificationMethod"] == first.json()["proof"]["verificationMethod"]
