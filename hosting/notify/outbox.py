"""Email notifications to recipients: an outbox row written in the issuing transaction, delivered later.

:func:`queue_notification` adds a row to ``notification_outbox`` in the caller's session, so the mail exists
exactly when the issue/revoke/replace commits. The row keeps the event's data (badge and issuer names, public
ids, revocation reason, locale); the message is rendered from ``templates/email`` when it is sent, with the
sender's base URL and the current templates.

Delivery (:class:`NotificationSender`): a sender claims due rows (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so several app servers can share one database; one atomic ``UPDATE`` on SQLite), sends them over
SMTP and marks them sent, or schedules a retry with exponential backoff and jitter, giving up (``failed``,
``last_error`` kept) after ``notify_max_attempts`` or at once on a permanent (5xx) refusal of the message.
A claim is a short lease (``notify_lease_seconds``) that a heartbeat renews while the sender works, and each
message is recorded as sent in its own commit as soon as the SMTP server accepts it. A sender killed mid-batch
therefore leaves only unsent rows, due again within one lease; the one message in flight at the kill (accepted
but not yet recorded) is the only one sent twice, with the same ``Message-ID`` so receivers can drop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, cast

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from sqlalchemy import Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from hosting.app.settings import Settings
from hosting.earners.tokens import AcceptLinks
from hosting.lib.db import bulk_insert
from hosting.lib.urls import PublicUrls
from hosting.storage.models import (
    Assertion,
    AssertionState,
    BadgeClass,
    Issuer,
    NotificationKind,
    OutboxMessage,
    OutboxStatus,
)

__all__ = [
    "NotificationKind",
    "NotificationSender",
    "NotificationWorker",
    "OutboxBatch",
    "OutboxMessage",
    "OutboxStatus",
    "RenderedMail",
    "queue_notification",
    "render_mail",
]

_log = logging.getLogger("hosting.notify")

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email"
DEFAULT_LOCALE = "en"
BATCH_SIZE = 50
MAX_BACKOFF_SECONDS = 6 * 3600.0
_LOCALE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*")


def _now() -> datetime:
    return datetime.now(UTC)


def _recipient_email(assertion: Assertion) -> str | None:
    if assertion.recipient_type != "email":
        return None
    if assertion.recipient_plaintext:
        return assertion.recipient_plaintext
    return None if assertion.recipient_hashed else assertion.recipient_identity


async def queue_notification(
    session: AsyncSession, kind: str, assertion: Assertion, *, badge: BadgeClass, issuer: Issuer,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Queue an email about ``assertion`` to its recipient, in ``session``'s transaction (nothing is sent now).

    ``kind`` is ``"issued"``, ``"pending"`` (waiting for the earner: ``extra`` has the ``accept_nonce`` of its
    accept link, turned into the link when the mail is rendered), ``"revoked"`` (reason from
    ``assertion.revocation_reason``) or ``"replaced"``: then ``assertion`` is the *old* one (``replaced_by_id``
    set) and the mail goes to the replacement's recipient, pointing to the replacement. Recipients that are not
    email addresses get nothing.
    """
    if kind not in NotificationKind.ALL:
        raise ValueError(f"unknown notification kind {kind!r}")
    target = assertion
    context: dict[str, Any] = {
        "badge_name": badge.name,
        "issuer_name": issuer.name,
        "issuer_url": issuer.url,
        "assertion_id": assertion.public_id,
        **(extra or {}),
    }
    if kind == NotificationKind.REPLACED:
        if assertion.state != AssertionState.REPLACED or assertion.replaced_by_id is None:
            raise ValueError("a 'replaced' notification needs the old assertion, with replaced_by_id set")
        replacement = await session.get(Assertion, assertion.replaced_by_id)
        if replacement is None:
            raise ValueError("the replacement assertion does not exist")
        target = replacement
        context["replacement_id"] = replacement.public_id
    elif kind == NotificationKind.REVOKED:
        context["reason"] = assertion.revocation_reason or ""
    recipient = _recipient_email(target)
    if recipient is None:
        return
    context["recipient_name"] = target.recipient_name or ""
    values = {"kind": kind, "assertion_id": target.id, "recipient": recipient, "locale": target.locale,
              "context": context}
    if isinstance(session, OutboxBatch):
        session.add_row(values)  # no ORM object: 10,000 of them cost more than their INSERT
    else:
        # Added, not flushed: the caller's next query or commit writes it (a flush per mail slows big batches).
        session.add(OutboxMessage(**values))


class OutboxBatch:
    """The session as :func:`queue_notification` sees it during a batch: the rows it queues are kept (as column
    values, not ORM objects) and written by :meth:`write` in one executemany (a flush per message made 10,000
    notifications take seconds). Pass it, cast to ``AsyncSession``, as ``queue_notification``'s session; call
    :meth:`write` once at the end."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self._rows: list[dict[str, Any]] = []

    def add_row(self, values: dict[str, Any]) -> None:
        """Queue one ``notification_outbox`` row (the columns the model's defaults do not fill)."""
        self._rows.append(values)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return await self._session.get(*args, **kwargs)

    async def flush(self) -> None:
        return None

    async def write(self) -> None:
        """INSERT the queued rows (Core, one executemany: the columns' Python defaults fill in the rest, but the
        moments: the batch's rows are all due, and made, now; one clock read instead of two a row)."""
        now = _now()
        made = now.replace(microsecond=0)
        for row in self._rows:
            row["next_attempt_at"], row["created_at"] = now, made
        await bulk_insert(self._session, cast(Table, OutboxMessage.__table__), self._rows)
        self._rows.clear()


async def outbox_messages(session: AsyncSession, assertion_id: int | None = None) -> list[OutboxMessage]:
    """Outbox rows, oldest first (all, or those about one assertion)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if assertion_id is not None:
        query = query.where(OutboxMessage.assertion_id == assertion_id)
    return list(await session.scalars(query))


# -- rendering -------------------------------------------------------------------------------------------------

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def locale_candidates(locale: str | None) -> list[str]:
    """``fr-CA`` → ``["fr-ca", "fr", "en"]``: the requested locale, its parents, then English."""
    candidates: list[str] = []
    tag = (locale or "").strip().replace("_", "-").lower()
    if _LOCALE.fullmatch(tag):
        parts = tag.split("-")
        candidates = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    return [*dict.fromkeys([*candidates, DEFAULT_LOCALE])]


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str
    locale: str  # the locale whose template was used


def render_mail(kind: str, locale: str | None, context: Mapping[str, Any], urls: PublicUrls,
                links: AcceptLinks | None = None) -> RenderedMail:
    """Render the mail for an outbox row from ``templates/email/<kind>.<locale>.txt`` (English fallback).

    The text template's first line is ``Subject: …``; the HTML part is the text laid out by ``_layout.html``
    (autoescaped, URLs linked). ``links`` turns a ``pending`` mail's ``accept_nonce`` into its ``accept_url``.
    """
    values = {"recipient_name": "", "reason": "", "notification_message": "", **context,
              "assertion_url": urls.assertion(context["assertion_id"])}
    if "accept_nonce" in context:
        if links is None:
            raise ValueError("a mail with an accept link needs the server's AcceptLinks to render")
        values["accept_url"] = urls.accept(links.token(context["accept_nonce"]))
    if "replacement_id" in context:
        values["replacement_url"] = urls.assertion(context["replacement_id"])
    for candidate in locale_candidates(locale):
        try:
            template = _env.get_template(f"{kind}.{candidate}.txt")
        except TemplateNotFound:
            continue
        head, _, body = template.render(values).partition("\n\n")
        if not head.startswith("Subject:"):
            raise ValueError(f"{template.name}: the first line must be 'Subject: ...'")
        subject = " ".join(head.removeprefix("Subject:").split())
        text = body.strip() + "\n"
        paragraphs = [p.splitlines() for p in text.strip().split("\n\n")]
        html = _env.get_template("_layout.html").render(locale=candidate, subject=subject, paragraphs=paragraphs)
        return RenderedMail(subject=subject, text=text, html=html, locale=candidate)
    raise ValueError(f"no template for notification kind {kind!r}")


def build_message(row: OutboxMessage, settings: Settings, urls: PublicUrls, links: AcceptLinks) -> EmailMessage:
    """The email of an outbox row; ``links`` signs a pending badge's accept link."""
    mail = render_mail(row.kind, row.locale, row.context, urls, links)
    sender = settings.smtp_from or ""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(_now())
    message["Message-ID"] = f"<{row.token}@{sender.rpartition('@')[2].strip('> ') or 'openbadges.invalid'}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    message["Content-Language"] = mail.locale  # after the parts: make_alternative moves Content-* headers
    return message


# -- delivery --------------------------------------------------------------------------------------------------


class _Permanent(Exception):
    """The server refused this message for good (5xx for the recipient or the data)."""


def _is_permanent(exc: BaseException) -> bool:
    if isinstance(exc, _Permanent):
        return True
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)):
        return exc.code >= 500
    return False


def backoff_seconds(attempts: int, base: float) -> float:
    """Delay before attempt ``attempts + 1``: ``base · 2^(attempts-1)``, capped at 6 h, plus up to 25% jitter."""
    delay: float = min(MAX_BACKOFF_SECONDS, base * 2.0 ** max(0, attempts - 1))
    return delay * (1 + random.random() / 4)  # jitter, not crypto


class NotificationSender:
    """Claims due outbox rows and delivers them over SMTP (one connection per batch)."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        if not settings.notifications_enabled:
            raise ValueError("notifications are off: set OPENBADGES_SMTP_HOST")
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.urls = PublicUrls(settings.base_url)
        self._links = AcceptLinks(settings.secret_key, days=settings.accept_token_days)  # derived once

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.notify_lease_seconds)

    async def _claim(self, cutoff: datetime) -> tuple[str, list[OutboxMessage]]:
        now, token = _now(), secrets.token_hex(16)
        due = (OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
               OutboxMessage.next_attempt_at <= cutoff)
        ids = select(OutboxMessage.id).where(*due).order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        async with self.sessionmaker() as session:  # a read first: an idle poll takes no write lock
            if await session.scalar(ids.limit(1)) is None:
                return token, []
        async with self.sessionmaker() as session, session.begin():
            if session.get_bind().dialect.name == "sqlite":
                # One statement under SQLite's single write lock (a read-then-write transaction could fail).
                claimed = OutboxMessage.id.in_(ids.limit(BATCH_SIZE).scalar_subquery())
            else:
                # Lock the batch first, skipping rows other senders hold (as a subquery of the UPDATE,
                # PostgreSQL may re-run the LIMIT for every row and claim more than one batch).
                locked = await session.scalars(ids.limit(BATCH_SIZE).with_for_update(skip_locked=True))
                claimed = OutboxMessage.id.in_(list(locked))
            await session.execute(
                update(OutboxMessage).where(claimed, *due)
                .values(status=OutboxStatus.SENDING, claim_token=token, next_attempt_at=now + self._lease,
                        attempts=OutboxMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            rows = list(await session.scalars(
                select(OutboxMessage).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)))
        return token, rows

    def _smtp(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port_or_default, username=s.smtp_username,
                               password=s.smtp_password, use_tls=s.smtp_tls == "tls",
                               start_tls=s.smtp_tls == "starttls", timeout=s.smtp_timeout)

    async def _heartbeat(self, token: str, stop: asyncio.Event) -> None:
        """Renew the lease on the rows of claim ``token`` still being sent, every third of a lease."""
        interval = self.settings.notify_lease_seconds / 3
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
                return
            try:
                async with self.sessionmaker() as session, session.begin():
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.claim_token == token, OutboxMessage.status == OutboxStatus.SENDING)
                        .values(next_attempt_at=_now() + self._lease)
                        .execution_options(synchronize_session=False))
            except Exception:  # noqa: BLE001 - a missed beat only risks a re-send after the lease
                _log.warning("could not renew the notification lease %s", token, exc_info=True)

    async def _deliver(self, token: str, rows: Sequence[OutboxMessage]) -> None:
        """Send ``rows`` on one connection, recording each outcome (own commit) as soon as it is known."""
        messages: list[EmailMessage | BaseException] = []
        for row in rows:
            try:
                messages.append(build_message(row, self.settings, self.urls, self._links))
            except Exception as exc:  # noqa: BLE001 - a broken template fails this row, not the batch
                messages.append(_Permanent(f"cannot render: {exc}"))
        done = 0
        async with self.sessionmaker() as session:  # one connection records the batch, a commit per message
            try:
                async with self._smtp() as smtp:
                    for row, message in zip(rows, messages, strict=True):
                        outcome: BaseException | None = None
                        if isinstance(message, BaseException):
                            outcome = message
                        else:
                            try:
                                await smtp.send_message(message)
                            except aiosmtplib.SMTPServerDisconnected:
                                raise
                            except aiosmtplib.SMTPException as exc:
                                outcome = exc
                        # Accepted: record it now, so a crash from here on re-sends nothing but the next one.
                        await self._record(session, token, [row], [outcome])
                        done += 1
            except (aiosmtplib.SMTPException, OSError) as exc:  # connect, TLS, login, disconnect: the rest waits
                if done < len(rows):
                    await self._record(session, token, rows[done:], [exc] * (len(rows) - done))

    async def _record(self, session: AsyncSession, token: str, rows: Sequence[OutboxMessage],
                      outcomes: Sequence[BaseException | None]) -> None:
        """Record the outcomes of ``rows`` (still held by claim ``token``) and commit."""
        now = _now()
        async with session.begin():
            for row, error in zip(rows, outcomes, strict=True):
                if error is None:
                    values: dict[str, Any] = {"status": OutboxStatus.SENT, "sent_at": now, "last_error": None}
                elif _is_permanent(error) or row.attempts >= self.settings.notify_max_attempts:
                    values = {"status": OutboxStatus.FAILED, "last_error": _describe(error)}
                    _log.warning("notification %s failed for good after %d attempt(s): %s", row.id, row.attempts,
                                 _describe(error))
                else:
                    delay = backoff_seconds(row.attempts, self.settings.notify_retry_seconds)
                    values = {"status": OutboxStatus.PENDING, "last_error": _describe(error),
                              "next_attempt_at": now + timedelta(seconds=delay)}
                    _log.info("notification %s attempt %d failed, retry in %.0f s: %s", row.id, row.attempts,
                              delay, _describe(error))
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.claim_token == token)
                    .values(claim_token=None, **values).execution_options(synchronize_session=False))

    async def run_once(self, cutoff: datetime | None = None) -> int:
        """Claim one batch of rows due by ``cutoff`` (default now), deliver it; return how many were attempted."""
        token, rows = await self._claim(cutoff or _now())
        if rows:
            stop = asyncio.Event()
            beat = asyncio.create_task(self._heartbeat(token, stop), name="openbadges-notify-lease")
            try:
                await self._deliver(token, rows)
            finally:
                stop.set()
                await beat
        return len(rows)

    async def drain(self) -> int:
        """Deliver batches until nothing that was due at the start is left; return the count.

        Retries scheduled meanwhile wait for the next call, so a row is attempted at most once per call.
        """
        total, cutoff = 0, _now()
        while count := await self.run_once(cutoff):
            total += count
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver due rows every ``notify_poll_seconds`` until ``stop`` is set; errors are logged, not raised."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the loop
                _log.exception("notification delivery failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.notify_poll_seconds)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


class NotificationWorker:
    """The app's background sender: ``start``/``stop`` are Litestar startup/shutdown hooks.

    It has its own small engine, so it does not depend on the order in which plugins shut down.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._engine: AsyncEngine | None = None

    async def start(self) -> None:
        from hosting.lib.db import create_engine

        self._engine = create_engine(self.settings.database_url, pool_size=1, limits=self.settings.db_limits,
                                     must_exist=True)
        sender = NotificationSender(self.settings, async_sessionmaker(self._engine, expire_on_commit=False))
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(sender.run(self._stop), name="openbadges-notifications")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, self.settings.smtp_timeout + 5)
            except TimeoutError:
                _log.warning("notification worker did not stop in time; its claimed rows retry after the lease")
            self._task = None
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
