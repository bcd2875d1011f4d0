"""Issuer API: issuing one assertion — fields, recipients, evidence, signing, the badge class's rules, roles
and notifications; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

import openbadges_core as ob
from hosting import Settings
from openbadges_core import ob2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, make_token, unique_email
from _issue_support import Team, api_fixture, count_assertions, outbox_kinds, stored, team_fixture  # noqa: F401 - fixtures
from conftest import BASE_URL


def _public(api: TestClient[Any], url: str) -> Any:
    res = api.get(url, headers={"Accept": "application/ld+json"})
    assert res.status_code == 200, res.text
    return res.json()


def test_issue_returns_201_location_and_private_view(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    res = team.issue(badge, recipient="Ada@Example.org", recipient_name="Ada Lovelace",
                     issuer_earner_id="emp-42", narrative="Did it.", locale="en-GB")
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["status"] == "created"
    made = body["assertion"]
    assert res.headers["location"] == made["publicUrl"] == f"{BASE_URL}/public/assertions/{made['id']}"
    assert made["imageUrl"] == f"{BASE_URL}/public/assertions/{made['id']}/image"
    assert made["format"] == "ob2" and made["state"] == "active" and made["expired"] is False and made["verification"] == "hosted"
    assert made["recipient"] == {"identity": "ada@example.org", "type": "email", "hashed": True}
    assert made["recipientName"] == "Ada Lovelace" and made["issuerEarnerId"] == "emp-42"
    assert made["badge"]["id"] == badge and made["issuer"]["id"] == team.issuer["id"]
    assert made["locale"] == "en-GB" and made["narrative"] == "Did it." and "jws" not in made


def test_public_document_keeps_private_fields_private(api: TestClient[Any], team: Team) -> None:
    made = team.issue(team.badge(), recipient="grace@example.org", recipient_name="Grace Hopper",
                      issuer_earner_id="secret-id-77").json()["assertion"]
    raw = api.get(made["publicUrl"], headers={"Accept": "application/ld+json"}).text
    for private in ("grace@example.org", "Grace Hopper", "secret-id-77"):
        assert private not in raw
    doc = json.loads(raw)
    assert doc["recipient"]["hashed"] is True
    assert ob2.hash_identity("grace@example.org", salt=doc["recipient"]["salt"]).identity == doc["recipient"]["identity"]


def test_first_and_last_name_make_the_recipient_name(team: Team) -> None:
    made = team.issue(team.badge(), issued_to_first_name="Alan", issued_to_last_name="Turing").json()["assertion"]
    assert made["recipientName"] == "Alan Turing"


@pytest.mark.parametrize(("recipient", "identity"), [
    ({"identity": "https://alice.example.org/", "type": "url", "hashed": False}, "https://alice.example.org/"),
    ({"identity": "+44 20 7946 0958", "type": "telephone", "hashed": False}, "+442079460958"),
])
def test_url_and_telephone_recipients_unhashed(api: TestClient[Any], team: Team, recipient: dict[str, Any],
                                               identity: str) -> None:
    made = team.issue(team.badge(), recipient=recipient).json()["assertion"]
    assert made["recipient"] == {"identity": identity, "type": recipient["type"], "hashed": False}
    doc = _public(api, made["publicUrl"])
    assert doc["recipient"] == {"type": recipient["type"], "hashed": False, "identity": identity}


@pytest.mark.parametrize(("body", "field"), [
    ({"recipient": "not-an-email"}, "recipient"),
    ({"recipient": {"identity": "12345", "type": "telephone"}}, "recipient.identity"),
    ({"recipient": {"identity": "a@example.org", "type": "id"}}, "recipient.type"),
    ({"recipient_name": "x"}, "recipient"),
    ({"recipient": "a@example.org", "issuedOn": "yesterday"}, "issuedOn"),
    ({"recipient": "a@example.org", "issuedOn": "2024-05-01", "expires": "2024-04-01"}, "expires"),
    # years outside 1900-9999, as written or once in UTC (the second has no UTC instant a datetime holds)
    ({"recipient": "a@example.org", "issuedOn": "1899-12-31T23:00:00Z"}, "issuedOn"),
    ({"recipient": "a@example.org", "expires": "9999-12-31T23:59:59-05:00"}, "expires"),
    ({"recipient": "a@example.org", "issuedOn": "1900-01-01T00:30:00+01:00"}, "issuedOn"),
    ({"recipient": "a@example.org", "colour": "red"}, "colour"),
    ({"recipient": "a@example.org", "verification": "magic"}, "verification"),
    ({"recipient": "a@example.org", "slug": "Not A Slug"}, "slug"),
    ({"recipient": "a@example.org", "locale": "english please"}, "locale"),
    ({"recipient": "a@example.org", "notify": "maybe"}, "notify"),
    ({"recipient": "a@example.org", "evidence": [{"type": "UrlEvidence", "value": "ftp://x"}]}, "evidence[0].value"),
    ({"recipient": "a@example.org", "evidence": [{"type": "PlainTextEvidence"}]}, "evidence[0].description"),
    ({"recipient": "a@example.org", "evidence": [{"type": "KeyValueGroupEvidence", "values": []}]},
     "evidence[0].values"),
    ({"recipient": "a@example.org", "evidence": [{"type": "KeyValueGroupEvidence", "values": [
        {"type": "KeyValuePair", "key": "k", "value": "v"}]}]}, "evidence[0].values[0].type"),
    # the names /v1 took before the seed's were adopted (issue #17) are refused
    ({"recipient": "a@example.org", "evidence": [{"type": "InfoEvidence", "description": "x"}]}, "evidence[0].type"),
    ({"recipient": "a@example.org", "evidence": [{"type": "IdEvidence", "description": "x"}]}, "evidence[0].type"),
    ({"recipient": "a@example.org", "evidence": [{"type": "TextEvidence", "description": "x"}]}, "evidence[0].type"),
    ({"recipient": "a@example.org", "evidence": [{"type": "KeyValueEvidence", "items": [{"key": "k", "value": "v"}]}]},
     "evidence[0].type"),
    ({"recipient": "a@example.org", "evidence": [{"type": "Telepathy"}]}, "evidence[0].type"),
])
def test_invalid_fields_are_400_with_details(team: Team, body: dict[str, Any], field: str) -> None:
    badge = team.badge()
    res = team.api.post(team.issue_path(badge), json=body, headers=bearer(team.owner))
    assert res.status_code == 400, res.text
    assert res.json()["code"] == "ValidationError"
    assert field in [d["field"] for d in res.json()["details"]]
    assert count_assertions(team.settings, badge) == 0


def test_the_seeds_evidence_types_map_to_ob_evidence(api: TestClient[Any], team: Team) -> None:
    """The seed's example evidence, as written (issue #17), beside a URL and an OB Evidence object."""
    evidence = [
        {"type": "KeyValueGroupEvidence", "name": "Custom Evidence", "values": [
            {"type": "KeyValuePairEvidence", "key": "Testing Center", "value": "Master Test Facility, Minneapolis, MN",
             "url": "http://www.url-in-custom-evidence-is-optional.com"},
            {"type": "KeyValuePairEvidence", "key": "Score", "value": "97"}]},
        {"type": "PlainTextEvidence", "title": "Evidence", "description": "The evidence is clear."},
        {"type": "UrlEvidence", "value": "http://www.example.com/evidence",
         "description": "Description in URL evidence is optional", "name": "Evidence"},
        "https://example.org/work",
        {"id": "https://example.org/report", "narrative": "The report.", "genre": "Report"},
    ]
    res = team.issue(team.badge(), evidence=evidence)
    assert res.status_code == 201, res.text
    made = res.json()["assertion"]
    expected = [
        {"type": "Evidence", "name": "Custom Evidence", "genre": "KeyValueGroupEvidence",
         "narrative": "Testing Center: Master Test Facility, Minneapolis, MN "
                      "<http://www.url-in-custom-evidence-is-optional.com>\nScore: 97"},
        {"type": "Evidence", "name": "Evidence", "narrative": "The evidence is clear."},
        {"type": "Evidence", "id": "http://www.example.com/evidence", "name": "Evidence",
         "description": "Description in URL evidence is optional"},
        {"type": "Evidence", "id": "https://example.org/work"},
        {"type": "Evidence", "id": "https://example.org/report", "narrative": "The report.", "genre": "Report"},
    ]
    assert made["evidence"] == expected
    doc = _public(api, made["publicUrl"])  # rendered and validated by the library
    assert doc["evidence"] == expected


def test_dates_default_to_now_and_are_kept(api: TestClient[Any], team: Team) -> None:
    made = team.issue(team.badge(), issuedOn="2024-05-01T10:00:00+02:00", expires="2030-01-01").json()["assertion"]
    assert made["issuedOn"] == "2024-05-01T08:00:00Z" and made["expires"] == "2030-01-01T00:00:00Z"
    doc = _public(api, made["publicUrl"])
    assert doc["issuedOn"] == "2024-05-01T08:00:00Z" and doc["expires"] == "2030-01-01T00:00:00Z"
    fresh = team.issue(team.badge()).json()["assertion"]
    assert fresh["issuedOn"][:10] == fresh["createdAt"][:10]


def test_signed_assertion_carries_a_verifiable_jws(api: TestClient[Any], team: Team) -> None:
    key = team.key("RS256")
    made = team.issue(team.badge(), verification="signed").json()["assertion"]
    assert made["verification"] == "signed" and made["jws"].count(".") == 2
    key_doc = _public(api, f"{BASE_URL}/public/keys/{key}")
    _header, payload = ob.verify_jws(made["jws"], ob.load_public_key(key_doc["publicKeyPem"].encode()))
    verified = json.loads(payload)
    assert verified["id"] == made["publicUrl"]
    assert verified["verification"] == {"type": "signed", "creator": f"{BASE_URL}/public/keys/{key}"}


def test_signed_without_an_active_key_is_409(team: Team) -> None:
    badge = team.badge()
    res = team.issue(badge, verification="signed")
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"
    assert count_assertions(team.settings, badge) == 0


def test_archived_badge_cannot_be_issued_409(team: Team) -> None:
    badge = team.badge(archived=True)
    res = team.issue(badge)
    assert res.status_code == 409 and "archived" in res.json()["message"]
    assert count_assertions(team.settings, badge) == 0


def test_limit_caps_the_number_of_assertions(team: Team) -> None:
    badge = team.badge(limit=2)
    assert [team.issue(badge).status_code for _ in range(3)] == [201, 201, 409]
    assert count_assertions(team.settings, badge) == 2


def test_unique_badge_one_per_recipient(team: Team) -> None:
    badge = team.badge(unique=True)
    assert team.issue(badge, recipient="uniq@example.org").status_code == 201
    again = team.issue(badge, recipient="UNIQ@example.org", issuedOn="2020-01-01", allowDuplicateAwards=True)
    assert again.status_code == 409 and again.json()["details"][0]["field"] == "recipient"
    assert team.issue(badge, recipient="other@example.org").status_code == 201


def test_duplicate_award_is_409_unless_allowed(team: Team) -> None:
    badge = team.badge()
    first = team.issue(badge, recipient="dup@example.org", issuedOn="2024-03-01T09:00:00Z")
    assert first.status_code == 201
    same_day = team.issue(badge, recipient="dup@example.org", issuedOn="2024-03-01T17:00:00Z")
    assert same_day.status_code == 409 and "allowDuplicateAwards" in same_day.json()["message"]
    assert team.issue(badge, recipient="dup@example.org", issuedOn="2024-03-01",
                      allowDuplicateAwards=True).status_code == 201
    assert team.issue(badge, recipient="dup@example.org", issuedOn="2024-03-02").status_code == 201
    assert count_assertions(team.settings, badge) == 3


def test_same_expiry_is_a_duplicate(team: Team) -> None:
    badge = team.badge()
    assert team.issue(badge, recipient="exp@example.org", issuedOn="2024-01-01", expires="2026-01-01").status_code == 201
    res = team.issue(badge, recipient="exp@example.org", issuedOn="2024-06-01", expires="2026-01-01T12:00:00Z")
    assert res.status_code == 409


def test_slug_is_unique_per_issuer(team: Team) -> None:
    badge = team.badge()
    assert team.issue(badge, slug="first-award").status_code == 201
    res = team.issue(team.badge(), slug="first-award")
    assert res.status_code == 409 and res.json()["details"][0]["field"] == "slug"


def test_staff_may_issue_and_outsiders_get_404(settings: Settings, team: Team) -> None:
    badge = team.badge()
    assert team.issue(badge, token=team.member("staff")).status_code == 201
    outsider = make_token(settings, unique_email("outsider"))
    res = team.issue(badge, token=outsider)
    assert res.status_code == 404 and res.json()["code"] == "ResourceNotFound"
    assert team.issue("no-such-badge").status_code == 404


def test_issuing_needs_the_assertion_write_scope(settings: Settings, team: Team) -> None:
    badge = team.badge()
    token = team.member("owner")
    reader = make_token(settings, unique_email("reader"), scopes=["issuer:read"])
    team.api.post(f"{team.path}/staff", json={"email": "x@example.org", "role": "staff"}, headers=bearer(token))
    res = team.issue(badge, token=reader)
    assert res.status_code in (403, 404)
    scoped = make_token(settings, unique_email("scoped"), scopes=["issuer:read", "issuer:write"])
    assert team.issue(badge, token=scoped).status_code in (403, 404)
    assert count_assertions(settings, badge) == 0


def test_missing_scope_is_403_for_a_staff_member(settings: Settings, team: Team) -> None:
    email = unique_email("noscope")
    team.api.post(f"{team.path}/staff", json={"email": email, "role": "editor"}, headers=bearer(team.owner))
    token = make_token(settings, email, scopes=["issuer:read"])
    res = team.issue(team.badge(), token=token)
    assert res.status_code == 403 and res.json()["code"] == "Forbidden"


def test_notify_queues_an_email_in_the_same_transaction(settings: Settings, team: Team) -> None:
    badge = team.badge()
    told = team.issue(badge, recipient="told@example.org").json()["assertion"]
    silent = team.issue(badge, recipient="silent@example.org", notify=False).json()["assertion"]
    assert outbox_kinds(settings, told["id"]) == ["issued"]
    assert outbox_kinds(settings, silent["id"]) == []


def test_refused_issue_queues_no_email(settings: Settings, team: Team) -> None:
    badge = team.badge(limit=1)
    assert team.issue(badge).status_code == 201
    assert team.issue(badge, recipient="late@example.org").status_code == 409
    assert stored(settings, team.issue(team.badge()).json()["assertion"]["id"]).recipient_plaintext


def test_form_body_is_accepted(team: Team) -> None:
    res = team.api.post(team.issue_path(team.badge()), data={"recipient": "form@example.org", "notify": "false"},
                        headers=bearer(team.owner))
    assert res.status_code == 201, res.text
    assert res.json()["assertion"]["recipient"]["identity"] == "form@example.org"


@pytest.mark.parametrize("proof", ["di", "jwt"])
def test_format_ob3_issues_a_signed_credential(api: TestClient[Any], team: Team, proof: str) -> None:
    res = team.issue(team.badge(), format="ob3", proof=proof)
    assert res.status_code == 201, res.text
    made = res.json()["assertion"]
    assert made["format"] == "ob3" and res.headers["location"] == made["publicUrl"]
    assert made["publicUrl"] == f"{BASE_URL}/public/credentials/{made['id']}"
    assert (made.get("jwt") is not None) == (proof == "jwt")
    credential = api.get(made["publicUrl"])
    assert credential.status_code == 200, credential.text
    assert "OpenBadgeCredential" in credential.json()["type"]


@pytest.mark.parametrize(("body", "field"), [({"format": "ob4"}, "format"), ({"proof": "jwt"}, "proof"),
                                             ({"format": "ob3", "proof": "rsa"}, "proof"),
                                             ({"format": "ob3", "verification": "signed"}, "verification")])
def test_ob3_options_are_checked(team: Team, body: dict[str, Any], field: str) -> None:
    res = team.issue(team.badge(), **body)
    assert res.status_code == 400 and field in [d["field"] for d in res.json()["details"]]


def test_a_busy_database_is_503_not_500(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """No mapping in the handler: the app's one exception layer answers a busy database (SQLite's lock wait
    exhausted) 503 with a short ``Retry-After``, and the transaction is rolled back."""
    from sqlalchemy.exc import OperationalError

    from hosting.storage.store import HostingStore

    async def _locked(*_args: Any, **_kwargs: Any) -> Any:
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    badge = team.badge()
    monkeypatch.setattr(HostingStore, "award", _locked)
    res = team.issue(badge)
    assert res.status_code == 503 and res.json()["code"] == "ServiceUnavailable"
    assert res.headers["retry-after"] == "1" and "busy" in res.json()["message"]
