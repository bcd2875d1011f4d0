"""Every URL the issuer API returns can be fetched: issue, get and list responses of OB 2.0 hosted and signed and
OB 3.0 Data Integrity and VC-JWT assertions, badge classes, issuers and keys. Each answers 2xx, or the documented
410 (revoked) / 301 (replaced) for the public URLs of assertions in those states."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from _api_support import bearer
from _issue_support import Team, api_fixture, team_fixture  # noqa: F401 - fixtures
from conftest import BASE_URL


def _urls(value: Any) -> Iterator[tuple[str, str]]:
    """(field, URL) for every string in an API body that is a URL of this server."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and item.startswith(BASE_URL + "/"):
                yield key, item
            else:
                yield from _urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _urls(item)


def _ok(res: Any) -> dict[str, Any]:
    assert 200 <= res.status_code < 300, res.text
    body: dict[str, Any] = res.json()
    return body


def test_every_url_the_api_returns_answers(team: Team) -> None:
    api, auth = team.api, bearer(team.owner)
    team.key("RS256")
    badge = team.badge()
    bodies: list[dict[str, Any]] = []
    made: dict[str, dict[str, Any]] = {}
    for name, fields in {"hosted": {}, "signed": {"verification": "signed"},
                         "di": {"format": "ob3", "proof": "di"}, "jwt": {"format": "ob3", "proof": "jwt"},
                         "revoked": {}, "replaced": {}}.items():
        body = _ok(team.issue(badge, notify=False, **fields))
        bodies.append(body)
        made[name] = body["assertion"]
    revoked, replaced = made["revoked"]["id"], made["replaced"]["id"]
    bodies.append(_ok(api.post(f"/v1/assertions/{revoked}/revoke", json={"reason": "test", "notify": False},
                               headers=auth)))
    bodies.append(_ok(api.post(f"/v1/assertions/{replaced}/replace", json={"notify": False}, headers=auth)))
    for assertion in made.values():
        bodies.append(_ok(api.get(f"/v1/assertions/{assertion['id']}", headers=auth)))
    issuer_id = team.issuer["id"]
    for path in (f"/v1/issuers/{issuer_id}/assertions", f"/v1/issuers/{issuer_id}/badges/{badge}/assertions",
                 f"/v1/issuers/{issuer_id}/badges", f"/v1/issuers/{issuer_id}/badges/{badge}",
                 f"/v1/issuers/{issuer_id}", "/v1/issuers", f"/v1/issuers/{issuer_id}/keys"):
        bodies.append(_ok(api.get(path, headers=auth)))

    found = {(field, url) for body in bodies for field, url in _urls(body)}
    fields = {field for field, _ in found}
    assert {"publicUrl", "imageUrl"} <= fields, fields
    image_urls = {url for field, url in found if field == "imageUrl"}
    assert any(made["di"]["id"] in url for url in image_urls)  # OB 3.0 images are checked, not just OB 2.0
    assert any(made["jwt"]["id"] in url for url in image_urls)
    fetched = 0
    for field, url in sorted(found):
        res = api.get(url, headers=auth if url.startswith(BASE_URL + "/v1/") else None, follow_redirects=False)
        if url.startswith(BASE_URL + "/public/assertions/") and revoked in url:
            assert res.status_code == 410, (field, url, res.status_code)
        elif url.startswith(BASE_URL + "/public/assertions/") and replaced in url:
            assert res.status_code == 301, (field, url, res.status_code)
        else:
            assert 200 <= res.status_code < 300, (field, url, res.status_code, res.text[:200])
            assert res.content, (field, url)
        fetched += 1
    public = {url.removeprefix(BASE_URL).split("/")[2] for _, url in found}
    assert {"assertions", "credentials", "badges", "issuers", "keys"} <= public, sorted(found)
    assert fetched == len(found) >= 7 * 2 + 3  # 7 assertions (publicUrl + imageUrl), badge, issuer, key
