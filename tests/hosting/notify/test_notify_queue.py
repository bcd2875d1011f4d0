"""Queueing notifications: outbox rows are written in the caller's transaction, only for email recipients."""

from __future__ import annotations

from typing import Any

import pytest

from hosting.notify.outbox import NotificationKind, OutboxStatus, outbox_messages, queue_notification
from hosting.storage.store import HostingStore
from tests.hosting._notify_support import issuer_and_badge, unique_recipient


def test_issuing_queues_one_pending_mail_to_the_plaintext_address(store_runner: Any) -> None:
    email = unique_recipient()

    async def _go(store: HostingStore) -> Any:
        issuer, badge = await issuer_and_badge(store, badge_name="Rust Basics", issuer_name="Ferris School")
        assertion = await store.issue(badge, email, recipient_name="Ada", locale="fr-CA")
        await queue_notification(store.session, "issued", assertion, badge=badge, issuer=issuer)
        return assertion, await outbox_messages(store.session, assertion.id)

    assertion, rows = store_runner(_go)
    assert len(rows) == 1
    row = rows[0]
    assert (row.kind, row.recipient, row.locale, row.status, row.attempts) == (
        "issued", email, "fr-CA", OutboxStatus.PENDING, 0)
    assert row.context["badge_name"] == "Rust Basics"
    assert row.context["issuer_name"] == "Ferris School"
    assert row.context["assertion_id"] == assertion.public_id
    assert row.context["recipient_name"] == "Ada"
    # The public identity is hashed; the mail still goes to the private plaintext address.
    assert assertion.recipient_identity.startswith("sha256$")


def test_revocation_keeps_the_reason(store_runner: Any) -> None:
    async def _go(store: HostingStore) -> Any:
        issuer, badge = await issuer_and_badge(store)
        assertion = await store.issue(badge, unique_recipient())
        await store.revoke(assertion, "Issued by mistake")
        await queue_notification(store.session, NotificationKind.REVOKED, assertion, badge=badge, issuer=issuer)
        return await outbox_messages(store.session, assertion.id)

    (row,) = store_runner(_go)
    assert row.kind == "revoked" and row.context["reason"] == "Issued by mistake"


def test_replacement_mail_goes_to_the_new_recipient_and_points_to_the_new_assertion(store_runner: Any) -> None:
    old_email, new_email = unique_recipient("typo"), unique_recipient("right")

    async def _go(store: HostingStore) -> Any:
        issuer, badge = await issuer_and_badge(store)
        old = await store.issue(badge, old_email)
        new = await store.issue(badge, new_email, locale="de")
        await store.replace(old, new)
        await queue_notification(store.session, "replaced", old, badge=badge, issuer=issuer)
        return old, new, await outbox_messages(store.session, new.id), await outbox_messages(store.session, old.id)

    old, new, rows, old_rows = store_runner(_go)
    assert old_rows == []
    (row,) = rows
    assert (row.recipient, row.locale) == (new_email, "de")
    assert row.context["replacement_id"] == new.public_id and row.context["assertion_id"] == old.public_id


@pytest.mark.parametrize("kind, refusal", [
    pytest.param("replaced", "replaced_by_id", id="replaced_needs_the_old_assertion"),
    pytest.param("expired", "unknown notification kind", id="unknown_kind_is_refused"),
])
def test_queueing_is_refused(store_runner: Any, kind: str, refusal: str) -> None:
    async def _go(store: HostingStore) -> None:
        issuer, badge = await issuer_and_badge(store)
        assertion = await store.issue(badge, unique_recipient())
        await queue_notification(store.session, kind, assertion, badge=badge, issuer=issuer)

    with pytest.raises(ValueError, match=refusal):
        store_runner(_go)


@pytest.mark.parametrize("recipient_type, recipient", [("url", "https://ada.example.org/"),
                                                       ("telephone", "+15555550100")])
def test_non_email_recipients_get_nothing(store_runner: Any, recipient_type: str, recipient: str) -> None:
    async def _go(store: HostingStore) -> Any:
        issuer, badge = await issuer_and_badge(store)
        assertion = await store.issue(badge, recipient, recipient_type=recipient_type)
        await queue_notification(store.session, "issued", assertion, badge=badge, issuer=issuer)
        return await outbox_messages(store.session, assertion.id)

    assert store_runner(_go) == []


def test_a_rolled_back_transaction_leaves_no_mail(store_runner: Any) -> None:
    class Abort(Exception):
        pass

    ids: list[int] = []

    async def _fail(store: HostingStore) -> None:
        issuer, badge = await issuer_and_badge(store)
        assertion = await store.issue(badge, unique_recipient())
        await queue_notification(store.session, "issued", assertion, badge=badge, issuer=issuer)
        ids.append(assertion.id)
        assert len(await outbox_messages(store.session, assertion.id)) == 1
        raise Abort

    with pytest.raises(Abort):
        store_runner(_fail)

    async def _count(store: HostingStore) -> int:
        return len(await outbox_messages(store.session, ids[0]))

    assert store_runner(_count) == 0
