"""The BadgeKit API's authentication (adversarial) and its systems routes, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import io
import json
import secrets
import time
from typing import Any

import pytest
from _badgekit_support import BadgeKit, check_deleted, new_key, sign
from click.testing import CliRunner
from litestar.testing import TestClient
from PIL import Image

from hosting import Settings


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (200, 30, 30, 255)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture(scope="module")
def master(api: TestClient[Any], settings: Settings) -> BadgeKit:
    name, secret = new_key(settings, f"master-{secrets.token_hex(3)}")
    return BadgeKit(api, name, secret)


def _slug(prefix: str = "sys") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _system(bk: BadgeKit, slug: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"slug": slug or _slug(), "name": "System Name", "url": "https://systemsite.example.org",
            "email": "admin@systemsite.example.org", **extra}
    res = bk.post("/systems", json_body=body)
    assert res.status_code == 201, res.text
    assert res.json()["status"] == "created"
    return dict(res.json()["system"])


# --- systems ---------------------------------------------------------------------------------------------

def test_create_get_list_system(master: BadgeKit) -> None:
    system = _system(master, imageUrl=PNG_DATA_URI)
    assert isinstance(system["id"], int)
    assert system["name"] == "System Name" and system["issuers"] == []
    assert system["imageUrl"].startswith("http://testserver.local/")
    got = master.get(f"/systems/{system['slug']}")
    assert got.status_code == 200 and got.json() == {"system": system}
    listed = master.get("/systems").json()["systems"]
    assert system in listed
    image = master.client.get(system["imageUrl"].removeprefix("http://testserver.local"))
    assert image.status_code == 200 and image.content == PNG


def test_create_system_form_and_multipart(master: BadgeKit) -> None:
    slug = _slug()
    res = master.post("/systems", form={"slug": slug, "name": "Form System", "url": "https://form.example.org"})
    assert res.status_code == 201, res.text
    assert res.json()["system"]["name"] == "Form System"
    slug2 = _slug()
    res = master.post("/systems", form={"slug": slug2, "name": "Multi", "url": "https://m.example.org"},
                      files={"image": ("badge.png", PNG, "image/png")})
    assert res.status_code == 201, res.text
    assert res.json()["system"]["imageUrl"]


def test_system_visible_through_v1_as_issuer(master: BadgeKit, settings: Settings) -> None:
    from _api_support import bearer, make_token, unique_email

    system = _system(master)
    admin = make_token(settings, unique_email("admin"), admin=True)
    res = master.client.get(f"/v1/issuers/{system['slug']}", headers=bearer(admin))
    assert res.status_code == 200, res.text
    assert res.json()["issuer"]["name"] == "System Name"


def test_create_system_validation_error(master: BadgeKit) -> None:
    res = master.post("/systems", json_body={"slug": "Not A Slug", "url": "ftp://x"})
    assert res.status_code == 400
    body = res.json()
    assert body["code"] == "ValidationError" and body["message"] == "Could not validate required fields"
    fields = {d["field"] for d in body["details"]}
    assert {"slug", "name", "url"} <= fields
    assert all(set(d) == {"field", "message", "value"} for d in body["details"])


def test_create_system_conflict_shows_existing(master: BadgeKit) -> None:
    system = _system(master)
    res = master.post("/systems", json_body={"slug": system["slug"], "name": "Other", "url": "https://o.example"})
    assert res.status_code == 409
    body = res.json()
    assert body["code"] == "ResourceConflict"
    assert body["error"] == "system with that `slug` already exists"
    assert body["details"]["slug"] == system["slug"] and body["details"]["name"] == "System Name"


def test_update_system_incl_rename(master: BadgeKit) -> None:
    system = _system(master)
    new = _slug("renamed")
    res = master.put(f"/systems/{system['slug']}", json_body={"name": "New Name", "slug": new})
    assert res.status_code == 200, res.text
    assert res.json()["status"] == "updated"
    assert res.json()["system"]["slug"] == new and res.json()["system"]["name"] == "New Name"
    assert master.get(f"/systems/{system['slug']}").status_code == 404
    newer = _slug("form")
    res = master.put(f"/systems/{new}", form={"new-slug": newer, "url": "https://changed.example.org"})
    assert res.status_code == 200, res.text
    assert master.get(f"/systems/{newer}").json()["system"]["url"] == "https://changed.example.org"


def test_update_system_rename_conflict(master: BadgeKit) -> None:
    a, b = _system(master), _system(master)
    res = master.put(f"/systems/{a['slug']}", json_body={"slug": b["slug"]})
    assert res.status_code == 409 and res.json()["details"]["id"] == b["id"]
    assert master.get(f"/systems/{a['slug']}").status_code == 200


def test_delete_system(master: BadgeKit) -> None:
    system = _system(master)
    check_deleted(master, f"/systems/{system['slug']}", "system", system)
    assert system not in master.get("/systems").json()["systems"]


# --- authentication ---------------------------------------------------------------------------------------

def _raw(client: TestClient[Any], method: str, path: str, auth: str | None, body: bytes | None = None) -> Any:
    headers = {"content-type": "application/json"}
    if auth is not None:
        headers["authorization"] = auth
    return client.request(method, path, content=body, headers=headers)


def _unauthorized(res: Any) -> None:
    assert res.status_code == 401, res.text
    assert res.json()["code"] == "Unauthorized" and res.json()["message"]


def test_missing_or_malformed_header(master: BadgeKit) -> None:
    _unauthorized(_raw(master.client, "GET", "/systems", None))
    _unauthorized(_raw(master.client, "GET", "/systems", "Bearer abc"))
    _unauthorized(_raw(master.client, "GET", "/systems", 'JWT token="not.a.jwt"'))


def test_bad_signature_and_unknown_key(master: BadgeKit) -> None:
    wrong = "a-wrong-secret-" + "x" * 32  # as long as a real one: only the signature differs
    _unauthorized(_raw(master.client, "GET", "/systems", sign(master.key, wrong, "GET", "/systems")))
    _unauthorized(_raw(master.client, "GET", "/systems", sign("no-such-key", master.secret, "GET", "/systems")))
    _unauthorized(_raw(master.client, "GET", "/systems", sign(master.key, master.secret, "GET", "/systems",
                                                                key=None)))


def test_alg_none_refused(master: BadgeKit) -> None:
    import jwt

    token = jwt.encode({"key": master.key, "exp": int(time.time()) + 60, "method": "GET", "path": "/systems"},
                       None, algorithm="none")
    _unauthorized(_raw(master.client, "GET", "/systems", f'JWT token="{token}"'))


def test_expired_missing_or_long_exp(master: BadgeKit) -> None:
    c = master.client
    _unauthorized(_raw(c, "GET", "/systems", sign(master.key, master.secret, "GET", "/systems",
                                                  exp=time.time() - 120)))
    _unauthorized(_raw(c, "GET", "/systems", sign(master.key, master.secret, "GET", "/systems",
                                                  exp=time.time() + 86400)))
    import jwt
    token = jwt.encode({"key": master.key, "method": "GET", "path": "/systems"}, master.secret, algorithm="HS256")
    _unauthorized(_raw(c, "GET", "/systems", f'JWT token="{token}"'))


def test_wrong_method_or_path(master: BadgeKit) -> None:
    system = _system(master)
    path = f"/systems/{system['slug']}"
    _unauthorized(_raw(master.client, "GET", path, sign(master.key, master.secret, "DELETE", path)))
    _unauthorized(_raw(master.client, "GET", path, sign(master.key, master.secret, "GET", "/systems")))
    # a token for one request cannot be replayed on another: DELETE with a GET token
    _unauthorized(_raw(master.client, "DELETE", path, sign(master.key, master.secret, "GET", path)))
    assert master.get(path).status_code == 200
    # the query string is part of the signed path
    _unauthorized(_raw(master.client, "GET", "/systems?x=1", sign(master.key, master.secret, "GET", "/systems")))
    assert _raw(master.client, "GET", "/systems?x=1",
                sign(master.key, master.secret, "GET", "/systems?x=1")).status_code == 200


def test_body_hash_required_and_checked(master: BadgeKit) -> None:
    slug = _slug()
    body = json.dumps({"slug": slug, "name": "S", "url": "https://s.example.org"}).encode()
    good = sign(master.key, master.secret, "POST", "/systems", body)
    _unauthorized(_raw(master.client, "POST", "/systems", _no_body_claim(master), body))
    # replay of a valid token with a different body
    other = json.dumps({"slug": _slug(), "name": "Evil", "url": "https://evil.example.org"}).encode()
    _unauthorized(_raw(master.client, "POST", "/systems", good, other))
    assert master.get(f"/systems/{slug}").status_code == 404
    bad_alg = sign(master.key, master.secret, "POST", "/systems", body,
                   body={"alg": "md5", "hash": "00"})
    _unauthorized(_raw(master.client, "POST", "/systems", bad_alg, body))
    assert _raw(master.client, "POST", "/systems", good, body).status_code == 201


def _no_body_claim(master: BadgeKit) -> str:
    import jwt

    token = jwt.encode({"key": master.key, "exp": int(time.time()) + 60, "method": "POST", "path": "/systems"},
                       master.secret, algorithm="HS256")
    return f'JWT token="{token}"'


def test_system_key_stays_in_its_system(master: BadgeKit, settings: Settings) -> None:
    mine, other = _system(master), _system(master)
    name, secret = new_key(settings, system=mine["slug"])
    bk = BadgeKit(master.client, name, secret)
    assert bk.get(f"/systems/{mine['slug']}").status_code == 200
    res = bk.get(f"/systems/{other['slug']}")
    assert res.status_code == 403 and res.json()["code"] == "Forbidden"
    assert bk.put(f"/systems/{other['slug']}", json_body={"name": "Hijacked"}).status_code == 403
    assert bk.delete(f"/systems/{other['slug']}").status_code == 403
    assert master.get(f"/systems/{other['slug']}").json()["system"]["name"] == "System Name"
    assert [s["slug"] for s in bk.get("/systems").json()["systems"]] == [mine["slug"]]
    res = bk.post("/systems", json_body={"slug": _slug(), "name": "N", "url": "https://n.example.org"})
    assert res.status_code == 403


def test_secret_stored_encrypted(master: BadgeKit, settings: Settings) -> None:
    from conftest import run_store
    from sqlalchemy import select

    from hosting.storage.models import BadgeKitKey
    from hosting.storage.store import HostingStore

    async def _stored(store: HostingStore) -> bytes:
        return bytes(await store.session.scalar(select(BadgeKitKey.secret_encrypted)
                                                .where(BadgeKitKey.name == master.key)) or b"")

    stored = run_store(settings, _stored)
    assert stored and master.secret.encode() not in stored


def test_cli_create_badgekit_key(master: BadgeKit, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from hosting.app.cli import cli

    monkeypatch.setenv("OPENBADGES_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OPENBADGES_BASE_URL", settings.base_url)
    monkeypatch.setenv("OPENBADGES_SECRET_KEY", settings.secret_key)
    system = _system(master)
    name = f"cli-{secrets.token_hex(3)}"
    result = CliRunner().invoke(cli, ["create-badgekit-key", "--key", name, "--system", system["slug"]])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret and "\n" not in secret
    bk = BadgeKit(master.client, name, secret)
    assert bk.get(f"/systems/{system['slug']}").status_code == 200
    again = CliRunner().invoke(cli, ["create-badgekit-key", "--key", name])
    assert again.exit_code != 0
    unknown = CliRunner().invoke(cli, ["create-badgekit-key", "--key", "x-" + name, "--system", "no-such-sys"])
    assert unknown.exit_code != 0


def test_master_key_name_cannot_be_bound_to_one_system(master: BadgeKit, settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """``master`` names the key acting on every system: a key bound to one system may not take that name (with
    the CLI's default ``--key master``, ``--system`` alone would have made one)."""
    from conftest import run_store
    from sqlalchemy import func, select

    from hosting.app.cli import cli
    from hosting.lib.errors import InvalidInput
    from hosting.storage.models import BadgeKitKey
    from hosting.storage.store import HostingStore

    async def _masters(store: HostingStore) -> int:
        return int(await store.session.scalar(select(func.count()).select_from(BadgeKitKey).where(
            func.lower(BadgeKitKey.name) == "master", BadgeKitKey.system_id.is_not(None))) or 0)

    system = _system(master)
    for name in ("master", "MASTER"):
        with pytest.raises(InvalidInput) as raised:
            new_key(settings, name, system=system["slug"])
        (detail,) = raised.value.extra["details"]
        assert detail["field"] == "key" and detail["value"] == name and "reserved" in detail["message"]
        assert repr(name) in raised.value.message and "reserved" in raised.value.message
    monkeypatch.setenv("OPENBADGES_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OPENBADGES_BASE_URL", settings.base_url)
    monkeypatch.setenv("OPENBADGES_SECRET_KEY", settings.secret_key)
    for args in (["--system", system["slug"]], ["--key", "master", "--system", system["slug"]]):
        result = CliRunner().invoke(cli, ["create-badgekit-key", *args])
        assert result.exit_code == 2, result.output
        assert "reserved" in result.output and result.stdout == ""
    assert run_store(settings, _masters) == 0


def test_a_system_key_naming_another_system_is_refused_before_anything_else(master: BadgeKit,
                                                                            settings: Settings) -> None:
    """403 whatever the body (not a 400 telling what is wrong with it, nor an image fetched) and whether or not
    the other system exists (a key cannot probe other systems' slugs)."""
    mine, other = _system(master), _system(master)
    name, secret = new_key(settings, system=mine["slug"])
    bk = BadgeKit(master.client, name, secret)
    for res in (bk.post(f"/systems/{other['slug']}/badges", json_body={"slug": "Bad Slug"}),
                bk.put(f"/systems/{other['slug']}", json_body={"url": "not a url"}),
                bk.post(f"/systems/{other['slug']}/issuers", form={"name": ""}),
                bk.get("/systems/no-such-system"), bk.get("/systems/no-such-system/badges/x/instances"),
                bk.post("/issuers?system=no-such-system", json_body={}),
                bk.get(f"/issuers/x?system={other['slug']}")):
        assert res.status_code == 403, res.text
        assert res.json() == {"code": "Forbidden", "message": res.json()["message"]}
    # its own system: answers as before
    assert bk.get(f"/systems/{mine['slug']}/badges/x").status_code == 404
    assert bk.post(f"/systems/{mine['slug']}/badges", json_body={"slug": "Bad Slug"}).status_code == 400


def test_a_non_ascii_body_hash_is_refused(master: BadgeKit) -> None:
    """A body hash that is not hex (non-ASCII) is a 401 like any other mismatch (was a 500: the comparison of
    non-ASCII strings raised)."""
    body = json.dumps({"slug": _slug(), "name": "S", "url": "https://s.example.org"}).encode()
    for digest in ("\u00e9" * 64, "\u0661" * 64):
        _unauthorized(_raw(master.client, "POST", "/systems", sign(master.key, master.secret, "POST", "/systems",
                                                                   body, body={"alg": "sha256", "hash": digest}),
                           body))


def test_a_key_claim_that_cannot_name_a_key_is_refused_before_any_lookup(master: BadgeKit) -> None:
    """Unsigned or not, a ``key`` claim that is no key name (NUL, too long, odd characters) is a 401 without a
    query (a NUL made PostgreSQL fail: a 500 to anyone, before the signature is checked)."""
    import jwt

    for key in ("\x00", "master\x00", "k" * 129, "a b", "ключ", master.key + "\n"):
        token = jwt.encode({"key": key, "exp": int(time.time()) + 60, "method": "GET", "path": "/systems"},
                           "any-secret-" + "x" * 40, algorithm="HS256")
        res = _raw(master.client, "GET", "/systems", f'JWT token="{token}"')
        _unauthorized(res)
        assert res.json()["message"] == "unknown key"
