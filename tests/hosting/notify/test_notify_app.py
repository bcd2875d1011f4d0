"""Notification settings, the app's background sender and the ``send-notifications`` command."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hosting import Settings, create_app
from hosting.app.cli import cli
from hosting.app.settings import SettingsError
from hosting.notify.outbox import OutboxStatus, outbox_messages, queue_notification
from hosting.storage.store import HostingStore
from tests.hosting._notify_support import (
    issuer_and_badge,
    own_database,  # noqa: F401 - the module's `settings`: its own database
    smtp_server,
    smtp_settings,
    unique_recipient,
)

SECRET = {"OPENBADGES_SECRET_KEY": "k" * 32}


def test_smtp_settings_from_env(tmp_path: Path) -> None:
    s = Settings.from_env({**SECRET, "OPENBADGES_SMTP_HOST": "mail.example.org", "OPENBADGES_SMTP_PORT": "2525",
                           "OPENBADGES_SMTP_TLS": "TLS", "OPENBADGES_SMTP_USERNAME": "mailer",
                           "OPENBADGES_SMTP_PASSWORD": "hunter2", "OPENBADGES_SMTP_FROM": "badges@example.org",
                           "OPENBADGES_SMTP_TIMEOUT": "7.5", "OPENBADGES_NOTIFY_POLL_SECONDS": "2",
                           "OPENBADGES_NOTIFY_RETRY_SECONDS": "0.5", "OPENBADGES_NOTIFY_MAX_ATTEMPTS": "4"},
                          cwd=tmp_path)
    assert (s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_username, s.smtp_password, s.smtp_from) == (
        "mail.example.org", 2525, "tls", "mailer", "hunter2", "badges@example.org")
    assert (s.smtp_timeout, s.notify_poll_seconds, s.notify_retry_seconds, s.notify_max_attempts) == (
        7.5, 2.0, 0.5, 4)
    assert s.notifications_enabled and "hunter2" not in repr(s)


def test_notifications_are_off_by_default(tmp_path: Path) -> None:
    s = Settings.from_env(SECRET, cwd=tmp_path)
    assert s.smtp_host is None and not s.notifications_enabled


@pytest.mark.parametrize("tls, port", [("tls", 465), ("starttls", 587), ("none", 25)])
def test_default_port_follows_the_tls_mode(tls: str, port: int, tmp_path: Path) -> None:
    s = Settings.from_env({**SECRET, "OPENBADGES_SMTP_HOST": "h", "OPENBADGES_SMTP_FROM": "a@b.c",
                           "OPENBADGES_SMTP_TLS": tls}, cwd=tmp_path)
    assert s.smtp_port_or_default == port


@pytest.mark.parametrize("env, message", [
    ({"OPENBADGES_SMTP_HOST": "h"}, "OPENBADGES_SMTP_FROM"),
    ({"OPENBADGES_SMTP_HOST": "h", "OPENBADGES_SMTP_FROM": "a@b.c", "OPENBADGES_SMTP_TLS": "ssl"}, "SMTP_TLS"),
    ({"OPENBADGES_NOTIFY_MAX_ATTEMPTS": "0"}, "MAX_ATTEMPTS"),
    ({"OPENBADGES_NOTIFY_POLL_SECONDS": "soon"}, "POLL_SECONDS"),
    ({"OPENBADGES_SMTP_PORT": "-1"}, "SMTP_PORT"),
])
def test_bad_smtp_settings_are_refused(env: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env({**SECRET, **env}, cwd=tmp_path)


def _queue_one(store_runner: Any, email: str) -> int:
    async def _go(store: HostingStore) -> int:
        issuer, badge = await issuer_and_badge(store)
        assertion = await store.issue(badge, email)
        await queue_notification(store.session, "issued", assertion, badge=badge, issuer=issuer)
        return assertion.id

    result: int = store_runner(_go)
    return result


def _status(store_runner: Any, assertion_id: int) -> str:
    async def _go(store: HostingStore) -> str:
        (row,) = await outbox_messages(store.session, assertion_id)
        return row.status

    result: str = store_runner(_go)
    return result


def _wait(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_the_app_delivers_in_the_background_and_stops_on_shutdown(settings: Settings, store_runner: Any) -> None:
    from litestar.testing import TestClient

    with smtp_server() as (smtp, port):
        with TestClient(create_app(smtp_settings(settings, port))):
            email = unique_recipient()
            _queue_one(store_runner, email)
            _wait(lambda: len(smtp.to(email)) == 1)
        later = unique_recipient("later")
        assertion_id = _queue_one(store_runner, later)
        time.sleep(0.3)  # six poll intervals: a running sender would have sent it
        assert smtp.to(later) == [] and _status(store_runner, assertion_id) == OutboxStatus.PENDING


def test_without_smtp_the_app_sends_nothing(settings: Settings, store_runner: Any) -> None:
    from litestar.testing import TestClient

    assert not settings.notifications_enabled
    with TestClient(create_app(settings)) as client:
        assertion_id = _queue_one(store_runner, unique_recipient())
        assert client.get("/healthz").status_code == 200
        time.sleep(0.2)
        assert _status(store_runner, assertion_id) == OutboxStatus.PENDING


def test_cli_send_notifications_once(settings: Settings, store_runner: Any) -> None:
    email = unique_recipient()
    assertion_id = _queue_one(store_runner, email)
    with smtp_server() as (smtp, port):
        env = {"OPENBADGES_DATABASE_URL": settings.database_url, "OPENBADGES_BASE_URL": settings.base_url,
               "OPENBADGES_SECRET_KEY": settings.secret_key, "OPENBADGES_SMTP_HOST": "127.0.0.1",
               "OPENBADGES_SMTP_PORT": str(port), "OPENBADGES_SMTP_TLS": "none",
               "OPENBADGES_SMTP_FROM": "badges@academy.example.org"}
        res = CliRunner().invoke(cli, ["send-notifications", "--once"], env=env)
        assert res.exit_code == 0, res.output
        assert "notification(s) attempted" in res.output
    assert len(smtp.to(email)) == 1 and _status(store_runner, assertion_id) == OutboxStatus.SENT


def test_cli_send_notifications_needs_smtp(settings: Settings) -> None:
    env = {"OPENBADGES_DATABASE_URL": settings.database_url, "OPENBADGES_SECRET_KEY": settings.secret_key,
           "OPENBADGES_SMTP_HOST": ""}
    res = CliRunner().invoke(cli, ["send-notifications", "--once"], env=env)
    assert res.exit_code != 0 and "OPENBADGES_SMTP_HOST" in res.output
