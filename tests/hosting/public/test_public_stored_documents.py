"""Issuer, badge class and key documents are stored by the writes that create or change them
(:mod:`hosting.public.stored`), and served as stored; a GET never writes one (it renders a missing one)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select, update

from hosting import Settings
from hosting.storage.models import BadgeClass, Issuer, SigningKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from _api_support import bearer, new_issuer
from _badge_support import new_badge
from conftest import run_on_connection

_LD = {"Accept": "application/ld+json"}


def _stored(settings: Settings, model: Any, public_id: str) -> tuple[bytes | None, str | None, str | None]:
    row = run_on_connection(settings.database_url, lambda c: c.execute(
        select(model.document, model.document_etag, model.document_base).where(model.public_id == public_id)).one())
    return row[0], row[1], row[2]


def _served_as_stored(api: TestClient[Any], settings: Settings, model: Any, path: str, public_id: str) -> bytes:
    document, etag, base = _stored(settings, model, public_id)
    assert document is not None and base == settings.base_url, f"{path}: no document stored by the write"
    res = api.get(path, headers=_LD)
    assert res.status_code == 200 and res.content == document and res.headers["etag"] == etag
    return document


def test_writes_store_the_issuer_badge_and_key_documents(api: TestClient[Any], settings: Settings,
                                                         owner: str) -> None:
    issuer_id = new_issuer(api, owner)["id"]
    issuer_path = f"/public/issuers/{issuer_id}"
    before = _served_as_stored(api, settings, Issuer, issuer_path, issuer_id)

    key = api.post(f"/v1/issuers/{issuer_id}/keys", json={}, headers=bearer(owner))
    assert key.status_code == 201, key.text
    key_id = key.json()["key"]["id"]
    key_doc = json.loads(_served_as_stored(api, settings, SigningKey, f"/public/keys/{key_id}", key_id))
    assert key_doc["owner"].endswith(issuer_path)
    # the issuer's document lists its keys: stored anew by the same write
    after = _served_as_stored(api, settings, Issuer, issuer_path, issuer_id)
    assert after != before and key_id in after.decode()

    badge_id = new_badge(api, owner, issuer_id)["id"]
    _served_as_stored(api, settings, BadgeClass, f"/public/badges/{badge_id}", badge_id)
    changed = api.patch(f"/v1/issuers/{issuer_id}/badges/{badge_id}", json={"name": "Silver Star"},
                        headers=bearer(owner))
    assert changed.status_code == 200, changed.text
    badge_doc = json.loads(_served_as_stored(api, settings, BadgeClass, f"/public/badges/{badge_id}", badge_id))
    assert badge_doc["name"] == "Silver Star"


def test_a_get_renders_a_missing_document_and_never_writes_it(api: TestClient[Any], settings: Settings,
                                                              owner: str) -> None:
    issuer_id = new_issuer(api, owner)["id"]
    stored, etag, _ = _stored(settings, Issuer, issuer_id)
    run_on_connection(settings.database_url, lambda c: c.execute(
        update(Issuer).where(Issuer.public_id == issuer_id).values(document=None, document_etag=None,
                                                                   document_base=None)))
    res = api.get(f"/public/issuers/{issuer_id}", headers=_LD)
    assert res.status_code == 200 and res.content == stored and res.headers["etag"] == etag
    assert _stored(settings, Issuer, issuer_id) == (None, None, None)


def test_a_document_stored_for_another_base_url_is_rendered_for_this_one(api: TestClient[Any], settings: Settings,
                                                                         owner: str) -> None:
    issuer_id = new_issuer(api, owner)["id"]
    stored, _, _ = _stored(settings, Issuer, issuer_id)
    assert stored is not None
    old = stored.replace(settings.base_url.encode(), b"https://old.example.org")
    run_on_connection(settings.database_url, lambda c: c.execute(
        update(Issuer).where(Issuer.public_id == issuer_id).values(document=old,
                                                                   document_base="https://old.example.org")))
    res = api.get(f"/public/issuers/{issuer_id}", headers=_LD)
    assert res.status_code == 200 and res.content == stored
    assert _stored(settings, Issuer, issuer_id)[0] == old  # not rewritten by the GET
