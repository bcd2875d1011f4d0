"""``openbadges-server create-user`` / ``create-oauth-client`` (then a login over HTTP with what they made), and
the OpenAPI document's OAuth2 scheme for /v2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.app.cli import cli


def test_cli_created_users_password_is_stored_as_an_argon2id_hash(tmp_path: Path) -> None:
    """``create-user`` stores an Argon2id hash (PHC string, ``$argon2id$``) that verifies the password given on
    stdin and no other; the password itself is nowhere in the database file."""
    import sqlite3

    from argon2 import PasswordHasher, Type, extract_parameters
    from argon2.exceptions import VerifyMismatchError

    db = tmp_path / "argon.db"
    env = {"OPENBADGES_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "OPENBADGES_BASE_URL": "http://127.0.0.1:8000",
           "OPENBADGES_SECRET_KEY": "c" * 32}
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    password = "a long and secret passphrase"
    made = runner.invoke(cli, ["create-user", "--email", "Hash@Example.org", "--password-stdin"],
                         input=password + "\n", env=env)
    assert made.exit_code == 0, made.output
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE email = 'hash@example.org'").fetchone()
    assert stored.startswith("$argon2id$v=19$"), stored
    assert extract_parameters(stored).type is Type.ID
    assert PasswordHasher().verify(stored, password)
    with pytest.raises(VerifyMismatchError):
        PasswordHasher().verify(stored, password + "x")
    assert password.encode() not in db.read_bytes()


def test_cli_creates_a_user_and_clients_that_can_log_in(tmp_path: Path) -> None:
    env = {"OPENBADGES_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
           "OPENBADGES_BASE_URL": "http://127.0.0.1:8000", "OPENBADGES_SECRET_KEY": "c" * 32}
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    made = runner.invoke(cli, ["create-user", "--email", "Ada@Example.org", "--password-stdin", "--first-name",
                               "Ada", "--admin"], input="s3cret-password\n", env=env)
    assert made.exit_code == 0, made.output
    again = runner.invoke(cli, ["create-user", "--email", "ada@example.org", "--password-stdin"],
                          input="another-password\n", env=env)
    assert again.exit_code != 0 and "exists" in again.output
    short = runner.invoke(cli, ["create-user", "--email", "b@example.org", "--password-stdin"], input="x\n", env=env)
    assert short.exit_code != 0 and "at least" in short.output
    public = runner.invoke(cli, ["create-oauth-client", "--client-id", "badgr-ui", "--public"], env=env)
    assert public.exit_code == 0 and public.stdout.strip() == "client_id: badgr-ui"
    conf = runner.invoke(cli, ["create-oauth-client", "--client-id", "lms", "--grant-types",
                               "client_credentials", "--user", "ada@example.org", "--scopes", "rw:issuer"], env=env)
    assert conf.exit_code == 0, conf.output
    secret = conf.stdout.split("client_secret: ", 1)[1].strip()
    bad = runner.invoke(cli, ["create-oauth-client", "--client-id", "x", "--scopes", "rw:everything"], env=env)
    assert bad.exit_code != 0 and "unknown scope" in bad.output
    for uri in ("javascript:alert(1)", "http://lms.example.org/cb", "https://lms.example.org/cb#frag", "/relative"):
        bad = runner.invoke(cli, ["create-oauth-client", "--client-id", "y", "--grant-types", "authorization_code",
                                  "--redirect-uri", uri], env=env)
        assert bad.exit_code != 0 and "redirect URI" in bad.output, uri
    ok = runner.invoke(cli, ["create-oauth-client", "--client-id", "native", "--public", "--grant-types",
                             "authorization_code", "--redirect-uri", "http://127.0.0.1:8765/cb"], env=env)
    assert ok.exit_code == 0, ok.output
    settings = Settings.from_env({**env, "OPENBADGES_OAUTH_ALLOW_HTTP": "1"})
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as api:
        res = api.post("/o/token", data={"grant_type": "password", "client_id": "badgr-ui",
                                         "username": "ADA@example.org", "password": "s3cret-password",
                                         "scope": "rw:issuer r:profile"})
        assert res.status_code == 200, res.text
        res = api.post("/o/token", data={"grant_type": "client_credentials", "client_id": "lms",
                                         "client_secret": secret})
        assert res.status_code == 200 and res.json()["scope"] == "rw:issuer"


def test_plain_http_oauth_is_refused_unless_allowed(badgr_settings: Settings) -> None:
    import dataclasses

    strict = dataclasses.replace(badgr_settings, oauth_allow_http=False, base_url="http://badges.example.org")
    with TestClient(create_app(strict), base_url="http://badges.example.org") as api:
        res = api.post("/o/token", data={"grant_type": "password", "client_id": "x", "username": "a",
                                         "password": "b"})
        assert res.status_code == 400 and res.json()["error"] == "insecure_transport"


def test_openapi_documents_v2_with_the_oauth2_scheme(badgr: TestClient[Any]) -> None:
    doc = badgr.get("/schema/openapi.json").json()
    scheme = doc["components"]["securitySchemes"]["oauth2"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"]["authorizationCode"]["authorizationUrl"] == "/o/authorize"
    assert scheme["flows"]["password"]["tokenUrl"] == "/o/token"
    assert "rw:issuer" in scheme["flows"]["password"]["scopes"]
    assert "bearer" in doc["components"]["securitySchemes"]  # /v1's is still there
    operation = doc["paths"]["/v2/badgeclasses/{entity_ref}/assertions"]["post"]
    assert operation["tags"] == ["badgr v2"] and operation["security"] == [{"oauth2": ["rw:issuer"]}]
