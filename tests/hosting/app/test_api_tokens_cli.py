"""``openbadges-server create-token`` / ``revoke-token`` against a migrated database, used on the live API."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.app.cli import cli


def _env(tmp_path: Path) -> dict[str, str]:
    return {"OPENBADGES_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/tok.db",
            "OPENBADGES_BASE_URL": "http://127.0.0.1:8000", "OPENBADGES_SECRET_KEY": "t" * 32}


def test_create_token_prints_only_the_token_which_then_authenticates(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    res = runner.invoke(cli, ["create-token", "--email", "Ops@Example.org", "--scopes", "issuer:read"], env=env)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("obt_") and len(lines[0]) > 40
    token = lines[0]
    settings = Settings(database_url=env["OPENBADGES_DATABASE_URL"], base_url=env["OPENBADGES_BASE_URL"],
                        secret_key=env["OPENBADGES_SECRET_KEY"], access_log=False)
    with TestClient(create_app(settings)) as api:
        auth = {"Authorization": f"Bearer {token}"}
        assert api.get("/v1/issuers", headers=auth).status_code == 200
        # read-only scope: creating is forbidden
        assert api.post("/v1/issuers", json={"name": "N", "url": "https://n.example", "email": "i@issuer.example.org"},
                        headers=auth).status_code == 403
        assert runner.invoke(cli, ["revoke-token", token], env=env).exit_code == 0
        assert api.get("/v1/issuers", headers=auth).status_code == 401
    assert runner.invoke(cli, ["revoke-token", token], env=env).exit_code != 0


def test_admin_token_sees_every_issuer(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    user = runner.invoke(cli, ["create-token", "--email", "u@example.org"], env=env).stdout.strip()
    admin = runner.invoke(cli, ["create-token", "--email", "root@example.org", "--admin"], env=env).stdout.strip()
    settings = Settings(database_url=env["OPENBADGES_DATABASE_URL"], base_url=env["OPENBADGES_BASE_URL"],
                        secret_key=env["OPENBADGES_SECRET_KEY"], access_log=False)
    with TestClient(create_app(settings)) as api:
        made = api.post("/v1/issuers", json={"name": "Mine", "url": "https://m.example", "email": "i@issuer.example.org"},
                        headers={"Authorization": f"Bearer {user}"})
        assert made.status_code == 201
        listed = api.get("/v1/issuers", headers={"Authorization": f"Bearer {admin}"}).json()
        assert [i["id"] for i in listed["issuers"]] == [made.json()["issuer"]["id"]]
        assert listed["issuers"][0]["role"] is None  # admin without a role still sees it


def test_create_token_rejects_unknown_scopes_and_bad_emails(tmp_path: Path) -> None:
    env = _env(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"], env=env).exit_code == 0
    bad = runner.invoke(cli, ["create-token", "--email", "a@b.org", "--scopes", "issuer:read,root"], env=env)
    assert bad.exit_code == 2 and bad.stdout == ""
    bad = runner.invoke(cli, ["create-token", "--email", "nobody"], env=env)
    assert bad.exit_code == 2 and bad.stdout == ""
