"""Acceptance states: pending → active (accept) / rejected (reject), revoke from every state, replace while
pending, and what the public URLs answer in each state (OB 2.0 and OB 3.0) — on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from _api_support import bearer
from _earner_support import (  # noqa: F401 - fixtures
    Team,
    answer,
    earner_api,
    earner_team,
    issue_pending,
    path_of,
    row,
    status_bit,
)
from _issue_support import outbox_kinds
from litestar.testing import TestClient

from hosting import Settings
from hosting.lib.errors import Conflict
from hosting.storage import transitions
from hosting.storage.models import AssertionState

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
STATES = ("pending", "active", "rejected", "revoked", "replaced")
ACTIONS = ("accept", "reject", "revoke", "withdraw", "replace")


def _public(api: TestClient[Any], assertion: dict[str, Any]) -> dict[str, int]:
    """The status of every public URL of an OB 2.0 assertion."""
    url = path_of(assertion["publicUrl"])
    return {"json": api.get(url).status_code, "html": api.get(url, headers={"Accept": HTML}).status_code,
            "image": api.get(url + "/image").status_code,
            "jws": api.get(url, headers={"Accept": "application/jose"}).status_code}


def _revocations(api: TestClient[Any], team: Team) -> list[str]:
    body = api.get(f"/public/issuers/{team.issuer['id']}/revocations").json()
    return [entry["id"] if isinstance(entry, dict) else entry for entry in body.get("revokedAssertions", [])]


def _private(team: Team, assertion: dict[str, Any]) -> dict[str, Any]:
    res = team.api.get(f"/v1/assertions/{assertion['id']}", headers=bearer(team.owner))
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()["assertion"]
    return body


def _revoke(team: Team, assertion: dict[str, Any]) -> Any:
    return team.api.post(f"/v1/assertions/{assertion['id']}/revoke", json={"reason": "issued in error"},
                         headers=bearer(team.owner))


def test_the_table_allows_exactly_the_documented_moves() -> None:
    allowed = {(a, s) for a in ACTIONS for s in STATES if (a, s) in transitions.TRANSITIONS}
    assert allowed == {("accept", "pending"), ("reject", "pending"),
                       *((a, s) for a in ("revoke", "withdraw") for s in ("pending", "active", "rejected")),
                       ("replace", "pending"), ("replace", "active")}
    for action in ACTIONS:
        for state in STATES:
            if (action, state) not in allowed:
                with pytest.raises(Conflict):
                    transitions.target(action, state)


def test_default_issue_is_accepted_at_once(team: Team) -> None:
    res = team.issue(team.badge())
    assert res.status_code == 201
    body = res.json()["assertion"]
    assert body["state"] == "active" and body["acceptUrl"] is None and body["stateUpdatedAt"]
    assert team.api.get(path_of(body["publicUrl"])).status_code == 200


def test_pending_assertion_is_unpublished_everywhere(settings: Settings, api: TestClient[Any], team: Team) -> None:
    team.key()
    pending = issue_pending(team, team.badge(), verification="signed")
    assert _public(api, pending) == {"json": 404, "html": 404, "image": 404, "jws": 404}
    assert pending["publicUrl"] not in _revocations(api, team)
    view = _private(team, pending)
    assert view["state"] == "pending" and view["acceptUrl"] == pending["acceptUrl"]
    assert view["stateUpdatedAt"] == pending["stateUpdatedAt"]
    assert "acceptUrl" not in api.get(f"/public/issuers/{team.issuer['id']}").text
    assert outbox_kinds(settings, pending["id"]) == ["pending"]


def test_accepting_publishes_and_keeps_the_issue_date(settings: Settings, api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge(), issuedOn="2026-01-15T10:00:00Z")
    res = answer(api, pending["acceptUrl"], "accept")
    assert res.status_code == 200, res.text
    assert _public(api, pending) == {"json": 200, "html": 200, "image": 200, "jws": 200}
    document = api.get(path_of(pending["publicUrl"])).json()
    assert document["issuedOn"].startswith("2026-01-15")
    view = _private(team, pending)
    assert view["state"] == "active" and view["acceptUrl"] is None
    assert view["stateUpdatedAt"] >= pending["stateUpdatedAt"]


def test_rejecting_keeps_it_unpublished_for_good(api: TestClient[Any], team: Team) -> None:
    pending = issue_pending(team, team.badge())
    assert answer(api, pending["acceptUrl"], "reject").status_code == 200
    assert _public(api, pending) == {"json": 404, "html": 404, "image": 404, "jws": 404}
    assert pending["publicUrl"] not in _revocations(api, team)
    assert _private(team, pending)["state"] == "rejected"
    replace = team.api.post(f"/v1/assertions/{pending['id']}/replace", json={}, headers=bearer(team.owner))
    assert replace.status_code == 409 and replace.json()["details"][0]["value"] == "rejected"


@pytest.mark.parametrize("state", ["pending", "active", "rejected"])
def test_revoke_works_in_every_state(api: TestClient[Any], team: Team, state: str) -> None:
    badge = team.badge()
    if state == "active":
        res = team.issue(badge)
        assert res.status_code == 201
        assertion = res.json()["assertion"]
    else:
        assertion = issue_pending(team, badge)
        if state == "rejected":
            assert answer(api, assertion["acceptUrl"], "reject").status_code == 200
    res = _revoke(team, assertion)
    assert res.status_code == 200, res.text
    assert res.json()["assertion"]["state"] == "revoked"
    assert api.get(path_of(assertion["publicUrl"])).status_code == 410
    assert assertion["publicUrl"] in _revocations(api, team)
    again = _revoke(team, assertion)
    assert again.status_code == 409
    if state != "active":  # the accept link of an assertion no longer pending is gone
        assert api.get(path_of(assertion["acceptUrl"])).status_code == 410


def test_replace_while_pending_may_change_the_recipient(settings: Settings, api: TestClient[Any],
                                                          team: Team) -> None:
    badge = team.badge()
    old = issue_pending(team, badge, recipient="typo@exmaple.org")
    res = team.api.post(f"/v1/assertions/{old['id']}/replace", json={"recipient": "right@example.org"},
                        headers=bearer(team.owner))
    assert res.status_code == 201, res.text
    new, replaced = res.json()["assertion"], res.json()["replaced"]
    assert replaced["state"] == "replaced" and replaced["replacedBy"] == new["id"]
    assert new["state"] == "pending" and new["recipient"]["identity"] == "right@example.org"
    assert new["acceptUrl"] and new["acceptUrl"] != old["acceptUrl"]
    assert api.get(path_of(old["acceptUrl"])).status_code == 410  # the old link died with the old assertion
    assert outbox_kinds(settings, new["id"]) == ["pending"]
    assert answer(api, new["acceptUrl"], "accept").status_code == 200
    assert api.get(path_of(new["publicUrl"])).status_code == 200
    assert row(settings, new["id"]).recipient_plaintext == "right@example.org"


def test_replace_of_an_accepted_assertion_keeps_the_recipient(team: Team) -> None:
    res = team.issue(team.badge(), recipient="kept@example.org")
    active = res.json()["assertion"]
    other = team.api.post(f"/v1/assertions/{active['id']}/replace", json={"recipient": "new@example.org"},
                          headers=bearer(team.owner))
    assert other.status_code == 409
    same = team.api.post(f"/v1/assertions/{active['id']}/replace", json={"narrative": "Updated."},
                         headers=bearer(team.owner))
    assert same.status_code == 201 and same.json()["assertion"]["state"] == "active"


def test_batch_acceptance_default_and_per_item(team: Team) -> None:
    res = team.api.post(f"{team.issue_path(team.badge())}/batch", headers=bearer(team.owner), json={
        "acceptance": "earner", "notify": False,
        "assertions": [{"recipient": "a@example.org"}, {"recipient": "b@example.org", "acceptance": "issuer"}]})
    assert res.status_code == 201, res.text
    first, second = res.json()["assertions"]
    assert first["state"] == "pending" and first["acceptUrl"]
    assert second["state"] == "active" and second["acceptUrl"] is None
    bad = team.api.post(f"{team.issue_path(team.badge())}/batch", headers=bearer(team.owner), json={
        "assertions": [{"recipient": "c@example.org", "acceptance": "nobody"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "acceptance"


def test_badge_class_default_acceptance(team: Team) -> None:
    import base64

    from hosting.app.demo import demo_png

    image = "data:image/png;base64," + base64.b64encode(demo_png()).decode()
    made = team.api.post(f"{team.path}/badges", headers=bearer(team.owner), json={
        "name": "Peer reviewed", "description": "Accepted by the earner.", "image": image,
        "criteriaNarrative": "Review.", "acceptance": "earner"})
    assert made.status_code == 201, made.text
    badge = made.json()["badge"]
    assert badge["acceptance"] == "earner"
    assert team.issue(badge["id"]).json()["assertion"]["state"] == "pending"
    assert team.issue(badge["id"], acceptance="issuer").json()["assertion"]["state"] == "active"
    patched = team.api.patch(f"{team.path}/badges/{badge['id']}", headers=bearer(team.owner),
                             json={"acceptance": "issuer"})
    assert patched.status_code == 200 and patched.json()["badge"]["acceptance"] == "issuer"
    assert team.issue(badge["id"]).json()["assertion"]["state"] == "active"
    wrong = team.api.patch(f"{team.path}/badges/{badge['id']}", headers=bearer(team.owner),
                           json={"acceptance": "maybe"})
    assert wrong.status_code == 400


def test_listing_filters_by_acceptance_state(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    pending = issue_pending(team, badge)
    rejected = issue_pending(team, badge)
    answer(api, rejected["acceptUrl"], "reject")
    active = team.issue(badge).json()["assertion"]

    def ids(state: str) -> set[str]:
        res = team.api.get(f"{team.path}/badges/{badge}/assertions", params={"filter": f"state::{state}"},
                           headers=bearer(team.owner))
        assert res.status_code == 200, res.text
        return {a["id"] for a in res.json()["assertions"]}

    assert ids("pending") == {pending["id"]}
    assert ids("rejected") == {rejected["id"]}
    assert ids("active") == {active["id"]}
    assert ids("pending,rejected") == {pending["id"], rejected["id"]}


def test_ob3_pending_credential_is_unpublished_and_its_status_bit_unset(settings: Settings, api: TestClient[Any],
                                                                         team: Team) -> None:
    badge = team.badge()
    pending = issue_pending(team, badge, format="ob3", proof="jwt")
    url = path_of(pending["publicUrl"])
    assert [api.get(url + tail).status_code for tail in ("", "/jwt", "/image")] == [404, 404, 404]
    index = row(settings, pending["id"]).status_index
    assert index is not None
    status_list = f"/public/issuers/{team.issuer['id']}/status/revocation"
    assert status_bit(api.get(status_list).json(), index) is False
    assert answer(api, pending["acceptUrl"], "accept").status_code == 200
    assert [api.get(url + tail).status_code for tail in ("", "/jwt", "/image")] == [200, 200, 200]

    second = issue_pending(team, badge, format="ob3")
    second_index = row(settings, second["id"]).status_index
    assert second_index is not None
    assert status_bit(api.get(status_list).json(), second_index) is False
    assert _revoke(team, second).status_code == 200  # revoking a pending credential sets its bit
    assert status_bit(api.get(status_list).json(), second_index) is True
    assert api.get(path_of(second["publicUrl"])).status_code == 410
    assert row(settings, second["id"]).state == AssertionState.REVOKED


def test_a_pending_award_counts_for_the_unique_rule_and_a_rejected_one_does_not(api: TestClient[Any],
                                                                               team: Team) -> None:
    badge = team.badge(unique=True)
    pending = issue_pending(team, badge, recipient="solo@example.org")
    assert team.issue(badge, recipient="solo@example.org").status_code == 409
    assert answer(api, pending["acceptUrl"], "reject").status_code == 200
    assert team.issue(badge, recipient="solo@example.org").status_code == 201


def test_with_the_public_cache_on_accepting_publishes_at_once(settings: Settings, team: Team) -> None:
    from _earner_support import roomy
    from conftest import BASE_URL

    from hosting import create_app

    with TestClient(create_app(roomy(settings, public_cache_seconds=60)), base_url=BASE_URL) as cached:
        pending = issue_pending(team, team.badge())
        url = path_of(pending["publicUrl"])
        assert cached.get(url).status_code == 404
        assert answer(cached, pending["acceptUrl"], "accept").status_code == 200
        assert cached.get(url).status_code == 200
        assert cached.get(url).status_code == 200  # now in the cache
        revoke = cached.post(f"/v1/assertions/{pending['id']}/revoke", json={"reason": "error"},
                             headers=bearer(team.owner))
        assert revoke.status_code == 200
        assert cached.get(url).status_code == 410
