"""Delivering the outbox to a real SMTP server (aiosmtpd on 127.0.0.1): content, locales, retries, claiming."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting import Settings
from hosting.notify.outbox import NotificationSender, OutboxMessage, OutboxStatus
from tests.hosting._notify_support import (
    free_port,
    own_database,  # noqa: F401 - the module's `settings`: its own database
    queue_mails,
    self_signed_cert,
    server_tls_context,
    sessions,
    smtp_server,
    smtp_settings,
    unique_recipient,
    wait_for,
)

BASE = "http://testserver.local"


async def _row(sm: async_sessionmaker[AsyncSession], recipient: str) -> OutboxMessage:
    async with sm() as session:
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == recipient))
        assert row is not None
        return row


async def _drain_until(sender: NotificationSender, sm: async_sessionmaker[AsyncSession], recipient: str,
                       status: str) -> None:
    """Run ``sender`` until the recipient's row reaches ``status`` (retries come due in between)."""
    async def _reached() -> bool:
        await sender.drain()
        return (await _row(sm, recipient)).status == status

    await wait_for(_reached)


async def _first_attempt_fails(sm: async_sessionmaker[AsyncSession], cfg: Settings, email: str,
                               error: str) -> NotificationSender:
    """Queue a mail to ``email``, run one pass: it must fail with ``error`` and wait for a retry."""
    await queue_mails(sm, cfg, [email])
    sender = NotificationSender(cfg, sm)
    await sender.drain()
    row = await _row(sm, email)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.last_error is not None and error in row.last_error
    return sender


async def test_issued_mail_arrives_with_headers_and_body(settings: Settings) -> None:
    email = unique_recipient()
    with smtp_server() as (smtp, port):
        cfg = smtp_settings(settings, port)
        async with sessions(cfg) as sm:
            (assertion,) = await queue_mails(sm, cfg, [email], name="Ada Lovelace", badge_name="Rust <Basics>")
            assert await NotificationSender(cfg, sm).drain() >= 1
            (message,) = smtp.to(email)
            row = await _row(sm, email)
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 1, None)
    assert row.sent_at is not None
    assert smtp.envelopes[smtp.messages.index(message)] == ("badges@academy.example.org", [email])
    assert message["From"] == "Badges <badges@academy.example.org>"
    assert message["Subject"] == 'You have earned the badge "Rust <Basics>" from Demo Academy'
    assert message["Content-Language"] == "en"
    assert message["Message-ID"] == f"<{row.token}@academy.example.org>"
    text = message.get_body(("plain",)).get_content()
    assert "Hello Ada Lovelace," in text
    assert f"{BASE}/public/assertions/{assertion.public_id}" in text
    # Nothing private beyond the recipient's own name: not the hashed identity, not the salt.
    assert assertion.recipient_identity not in text and (assertion.recipient_salt or "-") not in text
    html = message.get_body(("html",)).get_content()
    assert "Rust &lt;Basics&gt;" in html and "<Basics>" not in html
    assert f'<a href="{BASE}/public/assertions/{assertion.public_id}">' in html


@pytest.mark.parametrize("locale, expected, phrase", [
    ("fr-CA", "fr", "Motif indiqué : Awarded by mistake"),
    ("de", "de", "Angegebener Grund: Awarded by mistake"),
    ("pt-BR", "pt", "Motivo informado: Awarded by mistake"),
    ("es-MX", "es", "Motivo indicado: Awarded by mistake"),
    ("it", "en", "Reason given: Awarded by mistake"),
    ("../../etc", "en", "Reason given: Awarded by mistake"),
])
async def test_revocation_mail_in_the_recipients_locale_or_english(settings: Settings, locale: str,
                                                                    expected: str, phrase: str) -> None:
    email = unique_recipient()
    with smtp_server() as (smtp, port):
        cfg = smtp_settings(settings, port)
        async with sessions(cfg) as sm:
            await queue_mails(sm, cfg, [email], kind="revoked", locale=locale)
            await NotificationSender(cfg, sm).drain()
    (message,) = smtp.to(email)
    assert message["Content-Language"] == expected
    assert phrase in message.get_body(("plain",)).get_content()


async def test_temporary_refusals_are_retried_with_growing_delays(settings: Settings) -> None:
    email = unique_recipient()
    with smtp_server() as (smtp, port):
        smtp.refuse[email] = ["451 4.3.0 try again later", "451 4.3.0 try again later"]
        cfg = smtp_settings(settings, port, notify_retry_seconds=0.5, notify_max_attempts=5)
        async with sessions(cfg) as sm:
            sender = await _first_attempt_fails(sm, cfg, email, "451")
            # Not due yet: an immediate second pass does not touch it.
            await sender.drain()
            assert (await _row(sm, email)).attempts == 1

            await _drain_until(sender, sm, email, OutboxStatus.SENT)
            row = await _row(sm, email)
    assert row.attempts == 3 and row.last_error is None
    assert len(smtp.to(email)) == 1
    t = smtp.rcpt_times[email]
    assert len(t) == 3
    assert t[1] - t[0] >= 0.5 and t[2] - t[1] >= 1.0  # base, then doubled (jitter only adds)


async def test_gives_up_after_max_attempts_and_keeps_the_error(settings: Settings) -> None:
    email = unique_recipient()
    with smtp_server() as (smtp, port):
        smtp.refuse_always[email] = "452 4.2.2 mailbox full"
        cfg = smtp_settings(settings, port, notify_max_attempts=3)
        async with sessions(cfg) as sm:
            await queue_mails(sm, cfg, [email])
            sender = NotificationSender(cfg, sm)

            await _drain_until(sender, sm, email, OutboxStatus.FAILED)
            row = await _row(sm, email)
            await asyncio.sleep(0.3)
            await sender.drain()  # a failed row is never picked up again
    assert row.attempts == 3 and row.last_error is not None and "mailbox full" in row.last_error
    assert len(smtp.rcpt_times[email]) == 3 and smtp.to(email) == []


async def test_a_permanent_refusal_fails_at_once(settings: Settings) -> None:
    email, other = unique_recipient("gone"), unique_recipient("fine")
    with smtp_server() as (smtp, port):
        smtp.refuse_always[email] = "550 5.1.1 no such user"
        cfg = smtp_settings(settings, port, notify_max_attempts=5)
        async with sessions(cfg) as sm:
            await queue_mails(sm, cfg, [email, other])
            await NotificationSender(cfg, sm).drain()
            row, other_row = await _row(sm, email), await _row(sm, other)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert row.last_error is not None and "no such user" in row.last_error
    # The same connection still delivered the next message of the batch.
    assert other_row.status == OutboxStatus.SENT and len(smtp.to(other)) == 1


async def test_server_down_then_up(settings: Settings) -> None:
    email = unique_recipient()
    port = free_port()
    cfg = smtp_settings(settings, port, notify_max_attempts=5)
    async with sessions(cfg) as sm:
        sender = await _first_attempt_fails(sm, cfg, email, "Connect")
        with smtp_server(port) as (smtp, _):
            await _drain_until(sender, sm, email, OutboxStatus.SENT)
    assert len(smtp.to(email)) == 1 and (await _row(sm, email)).attempts == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_credentials_are_used(settings: Settings) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    logins: list[tuple[bytes, bytes]] = []

    def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"s3cret")

    email = unique_recipient()
    with smtp_server(authenticator=_authenticate, auth_required=True, auth_require_tls=False) as (smtp, port):
        cfg = smtp_settings(settings, port, smtp_username="mailer", smtp_password="s3cret")
        async with sessions(cfg) as sm:
            await queue_mails(sm, cfg, [email])
            await NotificationSender(cfg, sm).drain()
            assert (await _row(sm, email)).status == OutboxStatus.SENT
    assert logins and logins[-1] == (b"mailer", b"s3cret") and len(smtp.to(email)) == 1


async def test_two_senders_never_send_one_row_twice(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import hosting.notify.outbox as notify

    monkeypatch.setattr(notify, "BATCH_SIZE", 3)  # many small claims, interleaved between the two senders
    recipients = [unique_recipient(f"many{i}") for i in range(40)]
    with smtp_server() as (smtp, port):
        cfg = smtp_settings(settings, port)
        async with sessions(cfg) as sm_a, sessions(cfg) as sm_b:
            await queue_mails(sm_a, cfg, recipients)
            async with sm_b() as warm:  # b's connection is open too, so neither starts late
                await warm.execute(select(1))
            a, b = NotificationSender(cfg, sm_a), NotificationSender(cfg, sm_b)
            count_a, count_b = await asyncio.gather(a.drain(), b.drain())
            rows = [await _row(sm_a, r) for r in recipients]
    assert count_a > 0 and count_b > 0 and count_a + count_b >= len(recipients)
    assert all(r.status == OutboxStatus.SENT and r.attempts == 1 for r in rows)
    delivered = [m["To"] for m in smtp.messages if m["To"] in set(recipients)]
    assert sorted(delivered) == sorted(recipients)  # each exactly once
    ids = [m["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids))


async def test_an_abandoned_claim_is_taken_over_after_its_lease(settings: Settings) -> None:
    from datetime import UTC, datetime

    email = unique_recipient()
    with smtp_server() as (smtp, port):
        cfg = smtp_settings(settings, port)
        async with sessions(cfg) as sm:
            await queue_mails(sm, cfg, [email])
            cfg = replace(cfg, notify_lease_seconds=1.5)
            crashed = NotificationSender(cfg, sm)
            await crashed._claim(datetime.now(UTC))  # claimed, then the process "dies" before sending
            assert (await _row(sm, email)).status == OutboxStatus.SENDING
            other = NotificationSender(cfg, sm)
            await other.drain()
            assert smtp.to(email) == []  # still leased

            await _drain_until(other, sm, email, OutboxStatus.SENT)
    assert len(smtp.to(email)) == 1


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_tls_modes_deliver_over_a_verified_connection(settings: Settings, mode: str, tmp_path: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed_cert(tmp_path)
    context = server_tls_context(cert, key)
    options: dict[str, Any] = ({"tls_context": context, "require_starttls": True} if mode == "starttls"
                               else {"ssl_context": context})
    email = unique_recipient()
    with smtp_server(**options) as (smtp, port):
        cfg = smtp_settings(settings, port, smtp_tls=mode, notify_max_attempts=5)
        async with sessions(cfg) as sm:
            # The server's certificate is not trusted yet: verification fails, the row waits for a retry.
            sender = await _first_attempt_fails(sm, cfg, email, "certificate verify failed")
            assert smtp.to(email) == []
            monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now it is (the default context reads it)

            await _drain_until(sender, sm, email, OutboxStatus.SENT)
    assert len(smtp.to(email)) == 1


async def test_postgres_senders_skip_rows_locked_by_another_transaction(settings: Settings) -> None:
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    locked, free = unique_recipient("locked"), unique_recipient("free")
    with smtp_server() as (smtp, port):
        cfg = smtp_settings(settings, port)
        async with sessions(cfg) as sm:
            await queue_mails(sm, cfg, [locked, free])
            async with sm() as holder, holder.begin():
                await holder.execute(select(OutboxMessage).where(OutboxMessage.recipient == locked).with_for_update())
                # Another process holds the row: the sender neither waits for it nor sends it.
                await asyncio.wait_for(NotificationSender(cfg, sm).drain(), 5)
                assert smtp.to(locked) == [] and len(smtp.to(free)) == 1
            await NotificationSender(cfg, sm).drain()
    assert len(smtp.to(locked)) == 1


async def test_an_unrenderable_row_fails_at_once_and_the_rest_of_the_batch_goes(settings: Settings) -> None:
    broken, fine = unique_recipient("broken"), unique_recipient("fine")
    with smtp_server() as (smtp, port):
        cfg = smtp_settings(settings, port, notify_max_attempts=5)
        async with sessions(cfg) as sm:
            async with sm() as session:  # e.g. a kind whose template was removed in an upgrade
                session.add(OutboxMessage(kind="expired", recipient=broken, context={"assertion_id": "x"}))
                await session.commit()
            await queue_mails(sm, cfg, [fine])
            await NotificationSender(cfg, sm).drain()
            row = await _row(sm, broken)
            assert (await _row(sm, fine)).status == OutboxStatus.SENT
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1)
    assert row.last_error is not None and "cannot render" in row.last_error
    assert smtp.to(broken) == [] and len(smtp.to(fine)) == 1
