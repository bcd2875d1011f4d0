"""Helpers for the notification tests: an issuer with a badge class, a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import secrets
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from hosting import Settings
from hosting.app.demo import demo_png
from hosting.lib.crypto import KeyBox
from hosting.lib.db import create_engine
from hosting.lib.urls import PublicUrls
from hosting.notify.outbox import queue_notification
from hosting.storage.models import Assertion, BadgeClass, Issuer
from hosting.storage.store import HostingStore


async def issuer_and_badge(store: HostingStore, *, badge_name: str = "Python Basics",
                           issuer_name: str = "Demo Academy") -> tuple[Issuer, BadgeClass]:
    slug = f"n-{secrets.token_hex(4)}"
    issuer = await store.create_issuer(slug=slug, name=issuer_name, url="https://academy.example.org/",
                                       email="badges@academy.example.org", image=demo_png())
    badge = await store.create_badge_class(issuer, slug="b", name=badge_name, description="Writes small programs.",
                                           criteria_narrative="Pass the exercises.",
                                           image=demo_png())
    return issuer, badge


async def queue_mails(sm: async_sessionmaker[AsyncSession], settings: Settings, recipients: list[str], *,
                      kind: str = "issued", locale: str | None = None, name: str | None = None,
                      badge_name: str = "Python Basics") -> list[Assertion]:
    """Issue one assertion per recipient (revoked too for ``kind="revoked"``) and queue its mail; committed."""
    async with sm() as session:
        store = HostingStore(session, PublicUrls(settings.base_url), KeyBox(settings.secret_key))
        issuer, badge = await issuer_and_badge(store, badge_name=badge_name)
        issued = []
        for email in recipients:
            assertion = await store.issue(badge, email, locale=locale, recipient_name=name)
            if kind == "revoked":
                await store.revoke(assertion, "Awarded by mistake")
            await queue_notification(session, kind, assertion, badge=badge, issuer=issuer)
            issued.append(assertion)
        await session.commit()
        return issued


def unique_recipient(label: str = "earner") -> str:
    return f"{label}-{secrets.token_hex(4)}@example.org"


class RecordingHandler:
    """An aiosmtpd handler keeping every accepted message; ``refuse`` maps a recipient to SMTP replies
    given to its next RCPT commands (e.g. ``["451 4.3.0 later"]``), ``"always"`` keys refuse for good."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_times: dict[str, list[float]] = {}
        self.refuse: dict[str, list[str]] = {}
        self.refuse_always: dict[str, str] = {}
        self.data_delay = 0.0  # seconds before each DATA is answered (a slow server)
        self.on_accept: Callable[[int], None] | None = None  # called with the count, before the 250 reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        self.rcpt_times.setdefault(address, []).append(time.monotonic())
        if address in self.refuse_always:
            return self.refuse_always[address]
        if self.refuse.get(address):
            return self.refuse[address].pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.on_accept is not None:
            self.on_accept(len(self.messages))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def smtp_server(port: int | None = None, **controller_options: Any) -> Iterator[tuple[RecordingHandler, int]]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, stopped on exit."""
    handler = RecordingHandler()
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **controller_options)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def smtp_settings(settings: Settings, port: int, **overrides: Any) -> Settings:
    """``settings`` sending to the local server at ``port``, polling and retrying fast."""
    options: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_tls": "none",
                               "smtp_from": "Badges <badges@academy.example.org>", "notify_poll_seconds": 0.05,
                               "notify_retry_seconds": 0.05, "notify_max_attempts": 3, "smtp_timeout": 5.0}
    return replace(settings, **{**options, **overrides})


@asynccontextmanager
async def sessions(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings.database_url)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def wait_for(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN) and its key, as PEM files in ``directory``."""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture(scope="module", name="settings")
def own_database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """``settings`` on a database of the module's own (a notification test module imports this fixture). The
    session's shared database holds the mail every earlier test queued with no SMTP server to take it, thousands
    of rows: a sender started on it delivers those first, and a test waiting for its own mail waits behind them."""
    from conftest import migrated_database, settings_on  # tests/hosting/conftest.py

    backend = "sqlite" if database_url.startswith("sqlite") else "postgres"
    with migrated_database(backend, tmp_path_factory, "obnotify") as url:
        yield settings_on(url)
