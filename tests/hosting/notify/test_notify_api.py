"""End to end: the issuer API with SMTP configured — issuing, revoking and replacing mail the recipient through
the app's own background sender (a real aiosmtpd on 127.0.0.1), and ``notify: false`` sends nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hosting import Settings, create_app
from hosting.notify.outbox import OutboxStatus, outbox_messages
from hosting.storage.store import HostingStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the shared helpers in tests/hosting
from _api_support import bearer, unique_email
from _issue_support import Team, new_team, outbox_kinds
from conftest import BASE_URL, run_store

from tests.hosting._notify_support import (
    RecordingHandler,
    own_database,  # noqa: F401 - the module's `settings`: its own database
    smtp_server,
    smtp_settings,
)


@pytest.fixture(scope="module")
def mail(settings: Settings) -> Iterator[tuple[RecordingHandler, TestClient[Any]]]:
    with smtp_server() as (smtp, port), TestClient(
            create_app(smtp_settings(settings, port)), base_url=BASE_URL) as api:
        yield smtp, api


@pytest.fixture
def team(settings: Settings, mail: tuple[RecordingHandler, TestClient[Any]]) -> Team:
    return new_team(settings, mail[1])


def _arrives(settings: Settings, smtp: RecordingHandler, address: str, count: int = 1) -> list[Any]:
    """Wait for ``count`` mails to ``address`` and for the sender to record them sent (so that the next
    test's writes do not race the sender's commit)."""
    deadline = time.monotonic() + 30  # generous: a loaded machine delays the sender, a pass costs no wait
    while len(smtp.to(address)) < count or _unsent(settings, address):
        assert time.monotonic() < deadline, f"no mail for {address}"
        time.sleep(0.02)
    return smtp.to(address)


def _unsent(settings: Settings, address: str) -> int:
    async def _count(store: HostingStore) -> int:
        return len([r for r in await outbox_messages(store.session) if r.recipient == address
                    and r.status != OutboxStatus.SENT])

    result: int = run_store(settings, _count)
    return result


def _text(message: Any) -> str:
    return str(message.get_body(("plain",)).get_content())


def test_issue_with_notify_mails_the_recipient_and_without_it_nothing(
        settings: Settings, team: Team, mail: tuple[RecordingHandler, TestClient[Any]]) -> None:
    smtp, _ = mail
    badge = team.badge()
    quiet, told = unique_email("quiet"), unique_email("told")
    silent = team.issue(badge, recipient=quiet, notify=False)
    assert silent.status_code == 201, silent.text
    res = team.issue(badge, recipient=told, recipient_name="Grace Hopper", locale="fr-CA")
    assert res.status_code == 201, res.text
    assertion = res.json()["assertion"]
    (message,) = _arrives(settings, smtp, told)
    assert message["Subject"] == f"Vous avez obtenu le badge « Gold Star » de {team.issuer['name']}"
    assert message["Content-Language"] == "fr"
    assert "Bonjour Grace Hopper," in _text(message) and assertion["publicUrl"] in _text(message)
    # Queued before the told one, so it would have gone first: nothing was queued, nothing sent.
    assert smtp.to(quiet) == [] and outbox_kinds(settings, silent.json()["assertion"]["id"]) == []


def test_batch_notify_flags(settings: Settings, team: Team, mail: tuple[RecordingHandler, TestClient[Any]]) -> None:
    smtp, api = mail
    quiet, told = unique_email("bquiet"), unique_email("btold")
    res = api.post(f"{team.issue_path(team.badge())}/batch", headers=bearer(team.owner), json={
        "notify": False, "assertions": [{"recipient": quiet}, {"recipient": told, "notify": True}]})
    assert res.status_code == 201, res.text
    _arrives(settings, smtp, told)
    assert smtp.to(quiet) == []


def test_revoke_and_replace_mail_the_recipient(settings: Settings, team: Team, mail: tuple[RecordingHandler, TestClient[Any]]) -> None:
    smtp, api = mail
    badge = team.badge()
    earner = unique_email("earner")
    first = team.issue(badge, recipient=earner, notify=False).json()["assertion"]
    replaced = api.post(f"/v1/assertions/{first['id']}/replace", json={"narrative": "Corrected."},
                        headers=bearer(team.owner))
    assert replaced.status_code == 201, replaced.text
    new = replaced.json()["assertion"]
    (replaced_mail,) = _arrives(settings, smtp, earner)
    assert "has been updated" in replaced_mail["Subject"] and new["publicUrl"] in _text(replaced_mail)
    revoked = api.post(f"/v1/assertions/{new['id']}/revoke", json={"reason": "Exam retaken"},
                       headers=bearer(team.owner))
    assert revoked.status_code == 200, revoked.text
    revoked_mail = _arrives(settings, smtp, earner, 2)[1]
    assert "has been revoked" in revoked_mail["Subject"]
    assert "Reason given: Exam retaken" in _text(revoked_mail) and new["publicUrl"] in _text(revoked_mail)


def test_revoke_without_notify_sends_nothing(settings: Settings, team: Team, mail: tuple[RecordingHandler, TestClient[Any]]) -> None:
    smtp, api = mail
    badge = team.badge()
    quiet, control = unique_email("rquiet"), unique_email("rcontrol")
    issued = team.issue(badge, recipient=quiet, notify=False).json()["assertion"]
    res = api.post(f"/v1/assertions/{issued['id']}/revoke", json={"reason": "x", "notify": False},
                   headers=bearer(team.owner))
    assert res.status_code == 200, res.text
    team.issue(badge, recipient=control)  # queued after: once it arrives, the sender has passed the revoke
    _arrives(settings, smtp, control)
    assert smtp.to(quiet) == []
