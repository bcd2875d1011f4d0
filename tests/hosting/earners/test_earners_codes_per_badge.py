"""Claim codes are unique per badge class, not server-wide (migration 0020): two issuers, or two badge classes of
one issuer, each hold "SPRING-2026"; a 409 only within one badge class (a server-wide 409 told one tenant which
codes the others hold); another issuer's code is not found through my routes; each claim URL
(``/claim/{badge}/{code}``) issues its own badge; the legacy ``/claim/{code}`` takes the one live code of that
text, else the oldest; claims are rate-limited per stored code — SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from typing import Any

from _api_support import bearer, unique_email
from _earner_support import Team, csrf_of, earner_api, earner_team, path_of, roomy  # noqa: F401 - fixtures
from _issue_support import new_team
from conftest import BASE_URL, run_store
from litestar.testing import TestClient
from sqlalchemy import select

from hosting import Settings, create_app
from hosting.storage.models import Assertion, BadgeClass, ClaimCode
from hosting.storage.store import HostingStore


def _text() -> str:
    """A code text no other test holds (the legacy URL looks codes up across the whole database)."""
    return f"SPRING-{secrets.token_hex(5).upper()}"


def _codes(team: Team, badge: str, *codes: str, **body: Any) -> Any:
    return team.api.post(f"{team.path}/badges/{badge}/codes", json={"codes": list(codes), **body},
                         headers=bearer(team.owner))


def _make(team: Team, badge: str, code: str, **body: Any) -> dict[str, Any]:
    res = _codes(team, badge, code, **body)
    assert res.status_code == 201, res.text
    made: dict[str, Any] = res.json()["codes"][0]
    return made


def _claim(api: Any, path: str, email: str) -> Any:
    page = api.get(path)
    if page.status_code != 200:
        return page
    return api.post(path, data={"_csrf_token": csrf_of(page.text), "email": email})


def _badge_of_claim(settings: Settings, email: str) -> tuple[str, int]:
    """The badge class (public id) issued to ``email`` by a claim, and the claim code row used."""
    async def _get(store: HostingStore) -> tuple[str, int]:
        found = (await store.session.execute(
            select(BadgeClass.public_id, Assertion.claim_code_id).join(BadgeClass, BadgeClass.id == Assertion.badge_class_id)
            .where(Assertion.recipient_plaintext == email))).one()
        assert found[1] is not None
        return str(found[0]), int(found[1])

    return run_store(settings, _get)


def _row(settings: Settings, badge: str, code: str) -> ClaimCode:
    async def _get(store: HostingStore) -> ClaimCode:
        found = await store.session.scalar(select(ClaimCode).join(BadgeClass, BadgeClass.id == ClaimCode.badge_class_id)
                                           .where(BadgeClass.public_id == badge, ClaimCode.code == code))
        assert found is not None
        return found

    return run_store(settings, _get)


def test_two_issuers_each_hold_the_same_code_and_each_claim_url_issues_its_own_badge(
        settings: Settings, api: TestClient[Any], team: Team) -> None:
    other = new_team(settings, api)
    mine, theirs = team.badge(), other.badge()
    a = _make(team, mine, "SPRING-2026")
    b = _make(other, theirs, "SPRING-2026")
    assert a["claimUrl"] == f"{BASE_URL}/claim/{mine}/SPRING-2026"
    assert b["claimUrl"] == f"{BASE_URL}/claim/{theirs}/SPRING-2026"
    email_a, email_b = unique_email("a"), unique_email("b")
    assert _claim(api, path_of(a["claimUrl"]), email_a).status_code == 201
    assert _claim(api, path_of(b["claimUrl"]), email_b).status_code == 201
    assert _badge_of_claim(settings, email_a) == (mine, _row(settings, mine, "SPRING-2026").id)
    assert _badge_of_claim(settings, email_b) == (theirs, _row(settings, theirs, "SPRING-2026").id)
    assert _row(settings, mine, "SPRING-2026").uses == _row(settings, theirs, "SPRING-2026").uses == 1


def test_two_badges_of_one_issuer_each_hold_the_same_code(settings: Settings, api: TestClient[Any],
                                                          team: Team) -> None:
    first, second = team.badge(), team.badge()
    code = _text()
    a, b = _make(team, first, code), _make(team, second, code)
    email_a, email_b = unique_email("a"), unique_email("b")
    assert _claim(api, path_of(b["claimUrl"]), email_b).status_code == 201
    assert _claim(api, path_of(a["claimUrl"]), email_a).status_code == 201
    assert _badge_of_claim(settings, email_a)[0] == first and _badge_of_claim(settings, email_b)[0] == second
    view = team.api.get(f"{team.path}/badges/{first}/codes/{code}", headers=bearer(team.owner)).json()["code"]
    assert view["badge"]["id"] == first and view["uses"] == 1


def test_a_code_conflicts_only_within_its_badge_class(settings: Settings, api: TestClient[Any], team: Team) -> None:
    badge, sibling = team.badge(), team.badge()
    code = _text()
    _make(team, badge, code)
    res = _codes(team, badge, "FRESH-" + code, code)
    assert res.status_code == 409 and res.json()["details"] == [{"field": "codes", "message": "taken", "value": code}]
    assert _make(team, sibling, code)["code"] == code
    other = new_team(settings, api)
    assert _make(other, other.badge(), code)["code"] == code
    assert _codes(other, other.badge(), code, code).status_code == 409  # the same code twice in one request


def test_another_issuers_code_is_not_found_through_my_routes(settings: Settings, api: TestClient[Any],
                                                             team: Team) -> None:
    other = new_team(settings, api)
    mine, theirs = team.badge(), other.badge()
    code = _text()
    _make(other, theirs, code, multiuse=True)
    own = f"{team.path}/badges/{mine}/codes/{code}"
    assert team.api.get(own, headers=bearer(team.owner)).status_code == 404
    assert team.api.delete(own, headers=bearer(team.owner)).status_code == 404
    listed = team.api.get(f"{team.path}/badges/{mine}/codes", headers=bearer(team.owner)).json()["codes"]
    assert listed == []
    # their badge through my issuer's path, and their issuer's path with my token: no such badge for me
    assert team.api.get(f"{team.path}/badges/{theirs}/codes/{code}", headers=bearer(team.owner)).status_code == 404
    assert team.api.get(f"{other.path}/badges/{theirs}/codes/{code}", headers=bearer(team.owner)).status_code == 404
    assert team.api.delete(f"{other.path}/badges/{theirs}/codes/{code}",
                           headers=bearer(team.owner)).status_code == 404
    # used on an issue request of my badge: an unknown claimCode (400, as for any code my badge does not hold)
    used = team.issue(mine, claimCode=code)
    assert used.status_code == 400 and used.json()["details"][0]["field"] == "claimCode"
    # claimed through my badge's claim URL: 404
    page = api.get(f"/claim/{mine}/{code}")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    token = csrf_of(api.get(f"/claim/{theirs}/{code}").text)
    assert api.post(f"/claim/{mine}/{code}", data={"_csrf_token": token, "email": unique_email()}).status_code == 404
    row = _row(settings, theirs, code)
    assert row.uses == 0 and row.deleted_at is None


def test_claim_urls_of_unknown_badges_or_codes_are_html_404s(api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    code = _make(team, badge, _text())["code"]
    for path in (f"/claim/NO-SUCH-BADGE/{code}", f"/claim/{badge}/NO-SUCH-CODE-1", f"/claim/{badge}/x",
                 f"/claim/{badge}/%20bad"):
        res = api.get(path)
        assert res.status_code == 404 and res.headers["content-type"].startswith("text/html"), path


def test_legacy_claim_url_claims_a_unique_code(settings: Settings, api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    code = _make(team, badge, _text())["code"]
    email = unique_email("legacy")
    assert _claim(api, f"/claim/{code}", email).status_code == 201
    assert _badge_of_claim(settings, email) == (badge, _row(settings, badge, code).id)
    assert api.get(f"/claim/{code}").status_code == 410  # single-use: used up, as on its new URL
    assert api.get(f"/claim/{badge}/{code}").status_code == 410


def test_legacy_claim_url_takes_the_oldest_of_a_shared_code(settings: Settings, api: TestClient[Any],
                                                            team: Team) -> None:
    other = new_team(settings, api)
    oldest, newer, newest = team.badge(), other.badge(), other.badge()
    code = _text()
    for badge, owner in ((oldest, team), (newer, other), (newest, other)):
        _make(owner, badge, code, multiuse=True)
    email = unique_email("legacy")
    assert _claim(api, f"/claim/{code}", email).status_code == 201
    assert _badge_of_claim(settings, email) == (oldest, _row(settings, oldest, code).id)
    assert _row(settings, newer, code).uses == _row(settings, newest, code).uses == 0
    # The oldest withdrawn: two live codes remain, the link still means the oldest (410), not a newer one.
    assert team.api.delete(f"{team.path}/badges/{oldest}/codes/{code}", headers=bearer(team.owner)).status_code == 200
    assert api.get(f"/claim/{code}").status_code == 410
    # One live code left: the link resolves to it (the documented rule: exactly one live code of that text).
    assert other.api.delete(f"{other.path}/badges/{newer}/codes/{code}",
                            headers=bearer(other.owner)).status_code == 200
    email = unique_email("legacy")
    assert _claim(api, f"/claim/{code}", email).status_code == 201
    assert _badge_of_claim(settings, email)[0] == newest


def test_claims_are_rate_limited_per_stored_code(settings: Settings, api: TestClient[Any], team: Team) -> None:
    other = new_team(settings, api)
    mine, theirs = team.badge(), other.badge()
    code = _text()
    a = _make(team, mine, code, multiuse=True)  # the oldest: the legacy URL means this one
    b = _make(other, theirs, code, multiuse=True)
    app = create_app(roomy(settings, claims_per_code_minute=2))
    with TestClient(app, base_url=BASE_URL) as client:
        statuses = [_claim(client, path_of(a["claimUrl"]), unique_email()).status_code,
                    _claim(client, f"/claim/{code}", unique_email()).status_code,   # the same code: one budget
                    _claim(client, path_of(a["claimUrl"]), unique_email()).status_code,
                    _claim(client, f"/claim/{code}", unique_email()).status_code]
        assert statuses == [201, 201, 429, 429]
        # another badge's code of the same text has its own budget
        assert [_claim(client, path_of(b["claimUrl"]), unique_email()).status_code for _ in range(3)] \
            == [201, 201, 429]
    assert _row(settings, mine, code).uses == 2 and _row(settings, theirs, code).uses == 2
