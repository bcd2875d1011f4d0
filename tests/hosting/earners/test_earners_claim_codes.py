"""Claim codes: the /v1 codes API, the public claim page (single-use, multi-use, expired, deleted, unknown),
``claimCode`` on issue, rate limits, and concurrent claims of one single-use code — SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from _api_support import bearer, unique_email
from _earner_support import (  # noqa: F401 - fixtures
    Team,
    code_row,
    csrf_of,
    earner_api,
    earner_team,
    path_of,
    roomy,
    row,
)
from _hosting_live import serve_app
from _issue_support import outbox_kinds
from conftest import BASE_URL, run_store
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from hosting import Settings, create_app
from hosting.earners.codes import ALPHABET
from hosting.storage.models import Assertion, ClaimCode, utcnow
from hosting.storage.store import HostingStore


def _codes(team: Team, badge: str, token: str | None = None, **body: Any) -> Any:
    return team.api.post(f"{team.path}/badges/{badge}/codes", json=body, headers=bearer(token or team.owner))


def _make(team: Team, badge: str, **body: Any) -> list[dict[str, Any]]:
    res = _codes(team, badge, **body)
    assert res.status_code == 201, res.text
    codes: list[dict[str, Any]] = res.json()["codes"]
    return codes


def _claim(api: Any, code: dict[str, Any] | str, email: str) -> Any:
    """Claim ``code`` (as the API answered it: its ``claimUrl``; a bare string: the legacy ``/claim/{code}``)."""
    path = path_of(code["claimUrl"]) if isinstance(code, dict) else f"/claim/{code}"
    page = api.get(path)
    assert page.status_code == 200, page.text
    return api.post(path, data={"_csrf_token": csrf_of(page.text), "email": email})


def _claimed(settings: Settings, code: str) -> list[Assertion]:
    async def _rows(store: HostingStore) -> list[Assertion]:
        return list(await store.session.scalars(
            select(Assertion).join(ClaimCode, ClaimCode.id == Assertion.claim_code_id).where(ClaimCode.code == code)))

    return run_store(settings, _rows)


def test_codes_api_create_list_read_delete(team: Team) -> None:
    badge = team.badge()
    made = _make(team, badge, count=3)
    assert len(made) == 3 and len({c["code"] for c in made}) == 3
    for code in made:
        assert len(code["code"]) == 12 and set(code["code"]) <= set(ALPHABET)
        assert code["multiuse"] is False and code["uses"] == 0 and code["used"] is False
        assert code["claimUrl"] == f"{BASE_URL}/claim/{code['badge']['id']}/{code['code']}"
    given = _make(team, badge, codes=["SPRING-2026", "open_day"], multiuse=True, expires="2099-01-01")
    assert [c["code"] for c in given] == ["SPRING-2026", "open_day"]
    assert all(c["multiuse"] and c["expires"].startswith("2099-01-01") for c in given)
    base = f"{team.path}/badges/{badge}/codes"
    listed = team.api.get(base, headers=bearer(team.owner)).json()["codes"]
    assert [c["code"] for c in listed] == [c["code"] for c in made + given]
    one = team.api.get(f"{base}/SPRING-2026", headers=bearer(team.owner))
    assert one.status_code == 200 and one.json()["code"]["code"] == "SPRING-2026"
    gone = team.api.delete(f"{base}/SPRING-2026", headers=bearer(team.owner))
    assert gone.status_code == 200 and gone.json()["status"] == "deleted"
    assert team.api.get(f"{base}/SPRING-2026", headers=bearer(team.owner)).status_code == 404
    assert "SPRING-2026" not in [c["code"] for c in team.api.get(base, headers=bearer(team.owner)).json()["codes"]]
    assert team.api.get(f"{base}/NOPE-1234", headers=bearer(team.owner)).status_code == 404


def test_codes_api_refuses_an_offset_beyond_the_database_integers(team: Team) -> None:
    res = team.api.get(f"{team.path}/badges/{team.badge()}/codes?offset={2**70}", headers=bearer(team.owner))
    assert res.status_code == 400 and res.json()["code"] == "ValidationError", res.text


@pytest.mark.parametrize(("body", "field"), [
    ({}, "count"), ({"count": 2, "codes": ["ABCD1"]}, "count"), ({"count": 0}, "count"), ({"count": 1001}, "count"),
    ({"codes": ["no spaces"]}, "codes[0]"), ({"codes": ["ab"]}, "codes[0]"), ({"codes": []}, "codes"),
    ({"count": 1, "expires": "2001-01-01"}, "expires"), ({"count": 1, "multiuse": "often"}, "multiuse"),
    ({"count": 1, "expires": "9999-12-31T23:59:59-05:00"}, "expires"),
    ({"count": 1, "colour": "red"}, "colour"),
])
def test_codes_api_rejects_bad_bodies(team: Team, body: dict[str, Any], field: str) -> None:
    res = _codes(team, team.badge(), **body)
    assert res.status_code == 400, res.text
    assert field in [d["field"] for d in res.json()["details"]]


def test_codes_api_refuses_taken_codes_all_or_nothing(team: Team) -> None:
    badge = team.badge()
    taken = f"TAKEN-{unique_email('x')[2:10]}"
    _make(team, badge, codes=[taken])
    res = _codes(team, badge, codes=["FRESH-CODE-1", taken])
    assert res.status_code == 409 and res.json()["details"][0]["value"] == taken
    assert _codes(team, badge, codes=["DOUBLE-1", "DOUBLE-1"]).status_code == 409
    listed = team.api.get(f"{team.path}/badges/{badge}/codes", headers=bearer(team.owner)).json()["codes"]
    assert [c["code"] for c in listed] == [taken]


def test_codes_api_roles_and_scopes(settings: Settings, team: Team) -> None:
    from _api_support import make_token

    badge = team.badge()
    staff = team.member("staff")
    assert _codes(team, badge, staff, count=1).status_code == 403
    assert team.api.get(f"{team.path}/badges/{badge}/codes", headers=bearer(staff)).status_code == 200
    stranger = make_token(settings, unique_email("stranger"))
    assert _codes(team, badge, stranger, count=1).status_code == 404
    reader = make_token(settings, unique_email("reader"), scopes=["issuer:read"])
    team.api.post(f"{team.path}/staff", json={"email": "x@example.org", "role": "editor"}, headers=bearer(team.owner))
    assert _codes(team, badge, reader, count=1).status_code in (403, 404)


def test_single_use_code_issues_once(settings: Settings, api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    (code,) = _make(team, badge, count=1)
    page = api.get(path_of(code["claimUrl"]))
    assert page.status_code == 200 and "Gold Star" in page.text and 'type="email"' in page.text
    res = api.post(path_of(code["claimUrl"]), data={"_csrf_token": csrf_of(page.text), "email": "Claimer@Example.org"})
    assert res.status_code == 201, res.text
    (assertion,) = _claimed(settings, code["code"])
    assert assertion.state == "active" and assertion.recipient_plaintext == "claimer@example.org"
    assert outbox_kinds(settings, assertion.public_id) == ["issued"]
    assert api.get(path_of(f"{BASE_URL}/public/assertions/{assertion.public_id}")).status_code == 200
    assert code_row(settings, code["code"]).uses == 1
    again = api.post(path_of(code["claimUrl"]), data={"_csrf_token": csrf_of(page.text), "email": "other@example.org"})
    assert again.status_code == 410 and again.headers["content-type"].startswith("text/html")
    assert api.get(path_of(code["claimUrl"])).status_code == 410
    view = team.api.get(f"{team.path}/badges/{badge}/codes/{code['code']}", headers=bearer(team.owner)).json()
    assert view["code"]["used"] is True and view["code"]["uses"] == 1


def test_multi_use_code_issues_to_many(settings: Settings, api: TestClient[Any], team: Team) -> None:
    (code,) = _make(team, team.badge(), count=1, multiuse=True)
    for n in range(3):
        assert _claim(api, code, f"m{n}-{unique_email()}").status_code == 201
    assert code_row(settings, code["code"]).uses == 3
    assert len(_claimed(settings, code["code"])) == 3


def test_a_refused_award_does_not_use_the_code(settings: Settings, api: TestClient[Any], team: Team) -> None:
    (code,) = _make(team, team.badge(unique=True), count=1, multiuse=True)
    assert _claim(api, code, "once@example.org").status_code == 201
    res = _claim(api, code, "once@example.org")
    assert res.status_code == 409 and "already holds" in res.text
    assert code_row(settings, code["code"]).uses == 1


def test_expired_code_answers_410(settings: Settings, api: TestClient[Any], team: Team) -> None:
    (code,) = _make(team, team.badge(), count=1, expires="2099-01-01T00:00:00Z")
    page = api.get(path_of(code["claimUrl"]))

    async def _expire(store: HostingStore) -> None:
        await store.session.execute(update(ClaimCode).where(ClaimCode.code == code["code"])
                                    .values(expires_at=utcnow() - timedelta(seconds=1)))

    run_store(settings, _expire)
    assert api.get(path_of(code["claimUrl"])).status_code == 410
    res = api.post(path_of(code["claimUrl"]), data={"_csrf_token": csrf_of(page.text), "email": "late@example.org"})
    assert res.status_code == 410 and "expired" in res.text
    assert _claimed(settings, code["code"]) == []


def test_deleted_code_answers_410(settings: Settings, api: TestClient[Any], team: Team) -> None:
    badge = team.badge()
    (code,) = _make(team, badge, count=1)
    page = api.get(path_of(code["claimUrl"]))
    team.api.delete(f"{team.path}/badges/{badge}/codes/{code['code']}", headers=bearer(team.owner))
    assert api.get(path_of(code["claimUrl"])).status_code == 410
    res = api.post(path_of(code["claimUrl"]), data={"_csrf_token": csrf_of(page.text), "email": "x@example.org"})
    assert res.status_code == 410 and _claimed(settings, code["code"]) == []


def test_unknown_code_answers_an_html_404(api: TestClient[Any]) -> None:
    for code in ("NO-SUCH-CODE-1", "x", "%20bad"):
        res = api.get(f"/claim/{code}")
        assert res.status_code == 404 and res.headers["content-type"].startswith("text/html")


def test_claim_needs_a_valid_email_and_csrf(settings: Settings, api: TestClient[Any], team: Team) -> None:
    (code,) = _make(team, team.badge(), count=1)
    page = api.get(path_of(code["claimUrl"]))
    bad = api.post(path_of(code["claimUrl"]), data={"_csrf_token": csrf_of(page.text), "email": "not-an-email"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text and "not-an-email" in bad.text
    assert api.post(path_of(code["claimUrl"]), data={"email": "a@example.org"}).status_code == 403
    assert code_row(settings, code["code"]).uses == 0
    assert _claim(api, code, "a@example.org").status_code == 201


def test_issue_with_claim_code_consumes_it(settings: Settings, team: Team) -> None:
    badge, other = team.badge(), team.badge()
    (code,) = _make(team, badge, count=1)
    res = team.issue(badge, claimCode=code["code"])
    assert res.status_code == 201, res.text
    assert row(settings, res.json()["assertion"]["id"]).claim_code_id == code_row(settings, code["code"]).id
    assert team.issue(badge, claimCode=code["code"]).status_code == 410
    (foreign,) = _make(team, other, count=1)
    wrong = team.issue(badge, claimCode=foreign["code"])
    assert wrong.status_code == 400 and wrong.json()["details"][0]["field"] == "claimCode"
    assert code_row(settings, foreign["code"]).uses == 0


def test_claim_pages_are_rate_limited(settings: Settings) -> None:
    app = create_app(roomy(settings, earner_pages_per_ip_minute=3))
    with TestClient(app, base_url=BASE_URL) as client:
        statuses = [client.get("/claim/NO-SUCH-CODE-9").status_code for _ in range(4)]
        assert statuses == [404, 404, 404, 429]
        limited = client.get("/accept/" + "A" * 43)
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["content-type"].startswith("text/html")


def test_claims_are_rate_limited_per_code(settings: Settings, api: TestClient[Any], team: Team) -> None:
    (code,) = _make(team, team.badge(), count=1, multiuse=True)
    app = create_app(roomy(settings, claims_per_code_minute=2))
    with TestClient(app, base_url=BASE_URL) as client:
        statuses = [_claim(client, code, unique_email()).status_code for _ in range(3)]
    assert statuses == [201, 201, 429]
    assert code_row(settings, code["code"]).uses == 2


@pytest.fixture(scope="module")
def live(settings: Settings) -> Iterator[str]:
    """The app served by uvicorn (real sockets, a pool for the concurrent clients)."""
    with serve_app(create_app(roomy(settings, db_pool_size=12))) as base:
        yield base


def test_concurrent_claims_of_a_single_use_code_issue_exactly_once(settings: Settings, live: str,
                                                                    team: Team) -> None:
    (code,) = _make(team, team.badge(), count=1)
    clients = 10
    start = threading.Barrier(clients)

    def _one(n: int) -> int:
        with httpx.Client(base_url=live, timeout=60) as client:
            token = csrf_of(client.get(path_of(code["claimUrl"])).text)
            start.wait()
            return client.post(path_of(code["claimUrl"]),
                               data={"_csrf_token": token, "email": f"racer{n}@example.org"}).status_code

    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(_one, range(clients)))
    assert sorted(statuses) == [201] + [410] * (clients - 1), statuses
    assert len(_claimed(settings, code["code"])) == 1
    assert code_row(settings, code["code"]).uses == 1

    async def _count(store: HostingStore) -> int:
        return int(await store.session.scalar(select(func.count()).select_from(Assertion).where(
            Assertion.recipient_plaintext.like("racer%@example.org"), Assertion.claim_code_id.is_not(None))) or 0)

    assert run_store(settings, _count) == 1


def test_deleting_a_badge_class_deletes_its_unclaimed_codes(team: Team) -> None:
    badge = team.badge()
    _make(team, badge, count=2)
    res = team.api.delete(f"{team.path}/badges/{badge}", headers=bearer(team.owner))
    assert res.status_code == 200, res.text


def test_deleting_the_issuer_withdraws_its_codes_and_pending_assertions(settings: Settings, api: TestClient[Any],
                                                                         team: Team) -> None:
    badge = team.badge()
    (code,) = _make(team, badge, count=1, multiuse=True)
    pending = team.issue(badge, acceptance="earner").json()["assertion"]
    assert team.api.delete(team.path, headers=bearer(team.owner)).status_code == 409  # a pending one counts
    res = team.api.delete(team.path, params={"force": "true"}, headers=bearer(team.owner))
    assert res.status_code == 200, res.text
    assert row(settings, pending["id"]).state == "revoked"
    assert api.get(path_of(pending["acceptUrl"])).status_code == 410
    assert api.get(path_of(code["claimUrl"])).status_code == 410


def test_a_claim_is_accepted_even_when_the_badge_waits_for_earners(settings: Settings, api: TestClient[Any],
                                                                    team: Team) -> None:
    (code,) = _make(team, team.badge(acceptance="earner"), count=1)
    assert _claim(api, code, "eager@example.org").status_code == 201
    (assertion,) = _claimed(settings, code["code"])
    assert assertion.state == "active"
