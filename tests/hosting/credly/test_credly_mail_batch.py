"""The Credly API's emails (per-locale templates, ``notification_message``, suppression) read from the outbox,
and its batch: every invalid item reported, all or nothing, issued through the store's bulk path — on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from _api_support import unique_email
from _credly_support import (  # noqa: F401 - the fixtures
    SEED_ISSUE,
    SEED_REPLACE,
    accept,
    basic,
    credly_api_fixture,
)
from _credly_support import org as _org
from _issue_support import Team, team_fixture  # noqa: F401 - fixture
from conftest import run_store
from litestar.testing import TestClient
from sqlalchemy import select

from hosting import Settings
from hosting.earners.tokens import AcceptLinks
from hosting.lib.urls import PublicUrls
from hosting.notify.outbox import OutboxMessage, RenderedMail, render_mail
from hosting.storage.models import Assertion
from hosting.storage.store import HostingStore


def _issue(team: Team, template: str, **body: Any) -> dict[str, Any]:
    data = {**SEED_ISSUE, "badge_template_id": template, "recipient_email": unique_email("earner"), **body}
    res = team.api.post(f"{_org(team)}/badges", json=data, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    out: dict[str, Any] = res.json()["data"]
    return out


def _mails(settings: Settings, badge_id: str) -> list[tuple[str, RenderedMail]]:
    """(kind, rendered mail) of every outbox row about the badge, as the sender would render it."""
    async def _rows(store: HostingStore) -> list[OutboxMessage]:
        return list(await store.session.scalars(
            select(OutboxMessage).join(Assertion, Assertion.id == OutboxMessage.assertion_id)
            .where(Assertion.public_id == badge_id).order_by(OutboxMessage.id)))

    urls, links = PublicUrls(settings.base_url), AcceptLinks(settings.secret_key)
    return [(row.kind, render_mail(row.kind, row.locale, row.context, urls, links))
            for row in run_store(settings, _rows)]


# --- emails ---------------------------------------------------------------------------------------------

# Every locale of the seed, the template it gets, and a phrase of that template's pending (accept-link) mail.
@pytest.mark.parametrize(("locale", "template_locale", "phrase"), [
    ("en", "en", "would like to award you the badge"),
    ("fr", "fr", "souhaite vous décerner le badge"),
    ("de", "de", "möchte Ihnen das Abzeichen"),
    ("es-ES", "es", "quiere otorgarte la insignia"),
    ("es-US", "es", "quiere otorgarte la insignia"),
    ("pt", "pt", "deseja conceder a você o selo"),
    ("ja", "ja", "を授与しようとしています"),
    ("ko", "ko", "수여하려고 합니다"),
    ("zh-CN", "zh-cn", "希望向您颁发徽章"),
])
def test_the_issue_email_is_in_the_earners_locale(settings: Settings, team: Team, locale: str,
                                                  template_locale: str, phrase: str) -> None:
    badge = _issue(team, team.badge(), locale=locale, issued_to_first_name="Ada", issued_to_last_name="Lovelace")
    ((kind, mail),) = _mails(settings, badge["id"])
    assert kind == "pending" and mail.locale == template_locale
    assert phrase in mail.text and "Ada Lovelace" in mail.text
    assert badge["accept_badge_url"] in mail.text  # the same accept link as the response's


def test_other_locales_fall_back_to_english() -> None:
    context = {"badge_name": "B", "issuer_name": "Org", "issuer_url": "https://org.example",
               "assertion_id": "x", "reason": "typo"}
    mail = render_mail("revoked", "it-IT", context, PublicUrls("https://b.example"))
    assert mail.locale == "en" and "Reason given: typo" in mail.text


def test_every_credly_email_kind_has_the_issues_locales(settings: Settings, team: Team) -> None:
    """issue (pending), replace of an accepted badge, revoke — in Japanese, with the issuer's message."""
    template = team.badge()
    badge = _issue(team, template, locale="ja")
    accept(team.api, badge["accept_badge_url"])
    res = team.api.post(f"{_org(team)}/badges/{badge['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": template, "locale": "ja"},
                        headers=basic(team.owner))
    assert res.status_code == 201, res.text
    new = res.json()["data"]
    ((kind, mail),) = _mails(settings, new["id"])
    assert kind == "replaced" and mail.locale == "ja" and "更新版に差し替えました" in mail.text
    assert "Lorem ipsum dolor" in mail.text and new["badge_url"] in mail.text
    res = team.api.put(f"{_org(team)}/badges/{new['id']}/revoke", json={"reason": "誤って発行"},
                       headers=basic(team.owner))
    assert res.status_code == 200, res.text
    kinds = [(k, m.locale) for k, m in _mails(settings, new["id"])]
    assert kinds == [("replaced", "ja"), ("revoked", "ja")]
    assert "理由: 誤って発行" in _mails(settings, new["id"])[1][1].text


def test_the_replacements_notification_message_goes_into_the_email(settings: Settings, team: Team) -> None:
    template = team.badge()
    pending = _issue(team, template, locale="fr")
    res = team.api.post(f"{_org(team)}/badges/{pending['id']}/replace",
                        json={**SEED_REPLACE, "badge_template_id": template, "locale": "fr",
                              "notification_message": "Votre note a été corrigée."}, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    new = res.json()["data"]
    ((kind, mail),) = _mails(settings, new["id"])  # still pending: the new accept link, with the message
    assert kind == "pending" and mail.locale == "fr"
    assert f"Message de {team.issuer['name']} :\nVotre note a été corrigée." in mail.text
    assert new["accept_badge_url"] in mail.text and "Votre note" in mail.html
    # without a message, no message paragraph
    plain = _issue(team, template)
    ((_, mail),) = _mails(settings, plain["id"])
    assert "Message from" not in mail.text


def test_suppressed_emails_are_not_queued(settings: Settings, team: Team) -> None:
    template = team.badge()
    quiet = _issue(team, template, suppress_badge_notification_email=True)
    assert _mails(settings, quiet["id"]) == []
    accept(team.api, quiet["accept_badge_url"])
    res = team.api.put(f"{_org(team)}/badges/{quiet['id']}/revoke",
                       json={"reason": "x", "suppress_revoke_notification_email": True}, headers=basic(team.owner))
    assert res.status_code == 200 and _mails(settings, quiet["id"]) == []


# --- batch ----------------------------------------------------------------------------------------------

def _item(template: str, **fields: Any) -> dict[str, Any]:
    return {"recipient_email": unique_email("batch"), "badge_template_id": template,
            "issued_at": "2014-04-01 09:41:00 -0500", "issued_to_first_name": "Alfred",
            "issued_to_last_name": "Skiles", **fields}


def _total(team: Team) -> int:
    res = team.api.get(f"{_org(team)}/badges", headers=basic(team.owner))
    assert res.status_code == 200, res.text
    return int(res.json()["metadata"]["total_count"])


def test_a_failing_batch_reports_every_invalid_item_and_stores_nothing(team: Team) -> None:
    template, archived = team.badge(), team.badge(archived=True)
    first = _item(template)
    items = [
        first,
        _item(template, issued_at=None),                    # 1: a missing field
        _item(template),
        _item("no-such-template"),                          # 3: an unknown template
        {**first, "recipient_email": first["recipient_email"].upper()},  # 4: a duplicate of item 0
        _item(archived),                                    # 5: an archived template
        _item(template, locale="xx", evidence="nope"),      # 6: two problems in one item
        "not an object",                                    # 7
    ]
    res = team.api.post(f"{_org(team)}/badges/batch", json={"badges": items}, headers=basic(team.owner))
    assert res.status_code == 422, res.text
    data = res.json()["data"]
    # Credly's shape for the first invalid item, as the seed shows it
    assert data["message"] == "Validation failed: Issued at can't be blank"
    assert data["errors"] == [{"attribute": "issued_at", "attribute_label": "Issued at",
                               "messages": ["can't be blank"]}]
    assert data["error_index"] == 1
    # and every invalid item, each in the same shape
    invalid = data["invalid_badges"]
    assert [b["error_index"] for b in invalid] == [1, 3, 4, 5, 6, 7]
    assert all(set(b) == {"message", "errors", "error_index"} for b in invalid)
    by_index = {b["error_index"]: {e["attribute"] for e in b["errors"]} for b in invalid}
    assert by_index[3] == {"badge_template_id"} and by_index[5] == {"badge_template_id"}
    assert by_index[4] == {"recipient_email"} and by_index[6] == {"locale", "evidence"}
    assert invalid[0] == {k: data[k] for k in ("message", "errors", "error_index")}
    assert _total(team) == 0  # all or nothing: the valid items (0, 2) were not kept


def test_a_refused_item_in_one_template_rolls_back_the_others(team: Team) -> None:
    """Each template's items are issued in bulk; a refusal in the second template undoes the first's."""
    one, two = team.badge(), team.badge()
    dup = _item(two)
    items = [_item(one), _item(one), dup, dict(dup)]
    res = team.api.post(f"{_org(team)}/badges/batch", json={"badges": items}, headers=basic(team.owner))
    assert res.status_code == 422, res.text
    assert [b["error_index"] for b in res.json()["data"]["invalid_badges"]] == [3]
    assert _total(team) == 0


def test_a_batch_is_issued_in_order_with_each_items_email(settings: Settings, team: Team) -> None:
    one, two = team.badge(), team.badge()
    items = [_item(one, locale="de"), _item(two, locale="pt", suppress_badge_notification_email=True),
             _item(one, locale="es-US", notification_message="¡Felicidades!"), _item(two)]
    res = team.api.post(f"{_org(team)}/badges/batch", json={"badges": items}, headers=basic(team.owner))
    assert res.status_code == 201, res.text
    data = res.json()["data"]
    assert [b["recipient_email"] for b in data] == [i["recipient_email"] for i in items]
    assert [b["badge_template"]["id"] for b in data] == [one, two, one, two]
    assert [b["locale"] for b in data] == ["de", "pt", "es-US", "en"]
    mails = [_mails(settings, b["id"]) for b in data]
    assert [[(k, m.locale) for k, m in found] for found in mails] == [
        [("pending", "de")], [], [("pending", "es")], [("pending", "en")]]
    assert "¡Felicidades!" in mails[2][0][1].text and data[2]["accept_badge_url"] in mails[2][0][1].text
    assert all(b["state"] == "pending" for b in data)
    assert accept(team.api, data[3]["accept_badge_url"]).status_code == 200
    assert _total(team) == 4


# --- the OpenAPI document ---------------------------------------------------------------------------------

def _operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = doc["paths"][f"/v1/organizations/{{organization_id}}/badges{path}"][method]
    return op


def test_the_document_describes_the_credly_routes_and_the_seeds_bodies_fit_it(api: TestClient[Any]) -> None:
    import jsonschema
    from _credly_support import SEED_EVIDENCE, SEED_REVOKE

    doc = api.get("/schema/openapi.json").json()
    assert doc["components"]["securitySchemes"]["credly_basic"]["scheme"] == "basic"
    issue = _operation(doc, "post", "")
    assert issue["tags"] == ["credly"] and issue["security"] == [{"credly_basic": []}]
    assert issue["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/CredlyErrorBody")
    listing = _operation(doc, "get", "")
    assert {"filter", "sort", "page"} <= {p["name"] for p in listing["parameters"]}

    def body(op: dict[str, Any]) -> dict[str, Any]:
        schema: dict[str, Any] = op["requestBody"]["content"]["application/json"]["schema"]
        return schema

    # the seed's request examples, as written, are valid documents of the bodies
    jsonschema.validate(SEED_ISSUE, body(issue))
    jsonschema.validate(SEED_EVIDENCE, body(issue))
    jsonschema.validate(SEED_REPLACE, body(_operation(doc, "post", "/{badge_id}/replace")))
    jsonschema.validate(SEED_REVOKE, body(_operation(doc, "put", "/{badge_id}/revoke")))
    jsonschema.validate({"badges": [SEED_ISSUE, SEED_EVIDENCE]}, body(_operation(doc, "post", "/batch")))
    with pytest.raises(jsonschema.ValidationError):  # an invented evidence type is not documented either
        jsonschema.validate({**SEED_ISSUE, "evidence": [{"type": "IdEvidence", "description": "x"}]}, body(issue))
