"""BadgeKit instances at system level: real hosted assertions, on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from _badgekit_support import BadgeKit, new_key
from litestar.testing import TestClient
from test_badgekit_auth_systems import _system
from test_badgekit_badges import _badge_body

from hosting import Settings

BASE = "http://testserver.local"


@pytest.fixture(scope="module")
def bk(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _badge(bk: BadgeKit, **extra: Any) -> str:
    system = _system(bk)
    badge = bk.post(f"/systems/{system['slug']}/badges", json_body=_badge_body(**extra)).json()["badge"]
    return f"/systems/{system['slug']}/badges/{badge['slug']}"


def test_create_instance_is_hosted_assertion(bk: BadgeKit) -> None:
    path = _badge(bk)
    res = bk.post(f"{path}/instances", json_body={"email": "Earner@Example.org",
                                                  "issuedOn": "2014-05-21T19:22:09Z",
                                                  "expires": "2030-01-01T00:00:00Z", "slug": "my-instance"})
    assert res.status_code == 201, res.text
    assert res.json()["status"] == "created"
    inst = res.json()["instance"]
    assert inst["email"] == "earner@example.org" and inst["slug"] == "my-instance"
    assert inst["issuedOn"] == "2014-05-21T19:22:09Z" and inst["expires"] == "2030-01-01T00:00:00Z"
    assert inst["claimCode"] is None and inst["badge"]["slug"] == path.rsplit("/", 1)[1]
    hosted = bk.client.get(inst["assertionUrl"].removeprefix(BASE))
    assert hosted.status_code == 200, hosted.text
    doc = hosted.json()
    assert doc["type"] == "Assertion" and doc["verification"]["type"] == "hosted"
    assert doc["issuedOn"].startswith("2014-05-21")
    assert bk.get(f"{path}/instances/earner@example.org").json() == {"instance": inst}
    assert bk.get(f"{path}/instances").json() == {"instances": [inst]}
    # deleting the instance revokes the assertion: its URL answers 410
    res = bk.delete(f"{path}/instances/earner@example.org")
    assert res.status_code == 200 and res.json() == {"status": "deleted", "instance": inst}
    assert bk.client.get(inst["assertionUrl"].removeprefix(BASE)).status_code == 410
    assert bk.get(f"{path}/instances").json() == {"instances": []}
    missing = bk.get(f"{path}/instances/earner@example.org")
    assert missing.status_code == 404 and missing.json()["code"] == "ResourceNotFound"
    assert bk.delete(f"{path}/instances/earner@example.org").status_code == 404


def test_create_instance_form_and_multipart(bk: BadgeKit) -> None:
    path = _badge(bk)
    assert bk.post(f"{path}/instances", form={"email": "a@example.org"}).status_code == 201
    res = bk.post(f"{path}/instances", form={"email": "b@example.org", "issuedOn": "1400000000"},
                  files={"dummy": ("x.txt", b"x", "text/plain")})
    assert res.status_code == 201, res.text
    assert res.json()["instance"]["issuedOn"] == "2014-05-13T16:53:20Z"
    assert len(bk.get(f"{path}/instances").json()["instances"]) == 2


def test_create_instance_validation(bk: BadgeKit) -> None:
    path = _badge(bk)
    res = bk.post(f"{path}/instances", json_body={"email": "not-an-email", "issuedOn": "yesterday",
                                                  "slug": "Bad Slug"})
    assert res.status_code == 400 and res.json()["code"] == "ValidationError"
    assert {d["field"] for d in res.json()["details"]} == {"email", "issuedOn", "slug"}
    res = bk.post(f"{path}/instances", json_body={"email": "x@example.org", "claimCode": "NOSUCHCODE12"})
    assert res.status_code == 400 and res.json()["details"][0]["field"] == "claimCode"
    assert bk.get(f"{path}/instances").json() == {"instances": []}


def test_unique_badge_refuses_second_instance(bk: BadgeKit) -> None:
    path = _badge(bk, unique=True)
    assert bk.post(f"{path}/instances", json_body={"email": "u@example.org"}).status_code == 201
    res = bk.post(f"{path}/instances", json_body={"email": "u@example.org"})
    assert res.status_code == 409 and res.json()["code"] == "ResourceConflict"
    assert len(bk.get(f"{path}/instances").json()["instances"]) == 1


def test_instances_of_unknown_badge_or_other_system(bk: BadgeKit, settings: Settings) -> None:
    path = _badge(bk)
    system_slug = path.split("/")[2]
    res = bk.post(f"/systems/{system_slug}/badges/no-such-badge/instances", json_body={"email": "a@example.org"})
    assert res.status_code == 404 and "no-such-badge" in res.json()["message"]
    mine = _system(bk)
    name, secret = new_key(settings, system=mine["slug"])
    scoped = BadgeKit(bk.client, name, secret)
    assert scoped.post(f"{path}/instances", json_body={"email": "a@example.org"}).status_code == 403
    assert scoped.get(f"{path}/instances").status_code == 403
    assert bk.get(f"{path}/instances").json() == {"instances": []}


def test_instance_verifies_with_the_library_and_revoked_after_delete(bk: BadgeKit) -> None:
    from _badgekit_support import AppFetcher

    import openbadges_core as ob

    path = _badge(bk)
    inst = bk.post(f"{path}/instances", json_body={"email": "verify@example.org"}).json()["instance"]
    options = ob.VerifyOptions(fetcher=AppFetcher(bk.client), use_cache=False)
    report = ob.verify(inst["assertionUrl"], options=options)
    assert report.valid, report
    assert report.verification_type == "HostedBadge" and not report.revoked
    assert report.badge is not None and report.badge["name"] == "Badge Name"
    assert bk.delete(f"{path}/instances/verify@example.org").status_code == 200
    after = ob.verify(inst["assertionUrl"], options=options)
    assert not after.valid and after.revoked


@pytest.mark.parametrize("expires", ["2001-01-01T00:00:00Z", "1", 1])
def test_expires_in_the_past_without_issued_on_is_a_validation_error(bk: BadgeKit, expires: Any) -> None:
    """issuedOn defaults to now, so a past expires is refused as when issuedOn is given (was a 500)."""
    path = _badge(bk)
    sent = [(bk.post(f"{path}/instances", json_body={"email": "p@example.org", "expires": expires}), expires),
            (bk.post(f"{path}/instances", form={"email": "p@example.org", "expires": str(expires)}), str(expires))]
    for res, value in sent:
        assert res.status_code == 400, res.text
        assert res.json() == {"code": "ValidationError", "message": "Could not validate required fields",
                              "details": [{"field": "expires", "message": "must be after issuedOn",
                                           "value": value}]}
    assert bk.get(f"{path}/instances").json() == {"instances": []}


def test_instance_dates_with_an_offset_are_kept_in_utc_and_out_of_range_years_refused(bk: BadgeKit) -> None:
    """An offset is converted to UTC (SQLite stored the wall time as UTC); years outside 1900-9999 (as ``/v1``)
    are a ValidationError, not an instance dated "1-01-01T…"."""
    path = _badge(bk)
    res = bk.post(f"{path}/instances", json_body={"email": "tz@example.org", "issuedOn": "2020-01-01T00:00:00+14:00",
                                                  "expires": "2040-06-01T12:30:00.750-02:00"})
    assert res.status_code == 201, res.text
    inst = res.json()["instance"]
    assert (inst["issuedOn"], inst["expires"]) == ("2019-12-31T10:00:00Z", "2040-06-01T14:30:00Z")
    assert bk.get(f"{path}/instances/tz@example.org").json()["instance"] == inst
    doc = bk.client.get(inst["assertionUrl"].removeprefix(BASE)).json()
    assert doc["issuedOn"].startswith("2019-12-31T10:00:00") and doc["expires"].startswith("2040-06-01T14:30:00")
    for field, value in (("issuedOn", "0001-01-01T00:00:00-05:00"), ("issuedOn", "1899-12-31"),
                         ("issuedOn", -3_000_000_000), ("expires", "9999-12-31T23:59:59-05:00"),
                         ("expires", 400_000_000_000)):
        res = bk.post(f"{path}/instances", json_body={"email": "y@example.org", field: value})
        assert res.status_code == 400, (value, res.text)
        assert res.json()["details"] == [{"field": field, "message": res.json()["details"][0]["message"],
                                          "value": value}]
    assert [i["email"] for i in bk.get(f"{path}/instances").json()["instances"]] == ["tz@example.org"]
