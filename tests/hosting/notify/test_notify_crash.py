"""Crash-safety of the sender: a process killed mid-batch re-sends at most the message in flight, and its
unsent rows are taken over within one (short) lease; a heartbeat keeps a slow sender's lease alive."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from hosting import Settings
from hosting.notify.outbox import NotificationSender, OutboxMessage, OutboxStatus
from tests.hosting._notify_support import (
    own_database,  # noqa: F401 - the module's `settings`: its own database
    queue_mails,
    sessions,
    smtp_server,
    smtp_settings,
    unique_recipient,
    wait_for,
)

LEASE = 1.5


def _sender_process(cfg: Settings, port: int, cwd: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENBADGES_DATABASE_URL": cfg.database_url, "OPENBADGES_BASE_URL": cfg.base_url,
           "OPENBADGES_SECRET_KEY": cfg.secret_key, "OPENBADGES_SMTP_HOST": "127.0.0.1",
           "OPENBADGES_SMTP_PORT": str(port), "OPENBADGES_SMTP_TLS": "none",
           "OPENBADGES_SMTP_FROM": cfg.smtp_from or "", "OPENBADGES_NOTIFY_LEASE_SECONDS": str(LEASE),
           "OPENBADGES_NOTIFY_POLL_SECONDS": "0.05"}
    return subprocess.Popen([sys.executable, "-c", "from hosting.app.cli import main; main()", "send-notifications"],
                            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _statuses(cfg: Settings, recipients: list[str]) -> Counter[str]:
    async with sessions(cfg) as sm, sm() as session:
        rows = await session.execute(select(OutboxMessage.status, func.count()).where(
            OutboxMessage.recipient.in_(recipients)).group_by(OutboxMessage.status))
        return Counter({status: count for status, count in rows.all()})


async def _claimed(cfg: Settings, recipients: list[str]) -> bool:
    return OutboxStatus.PENDING not in await _statuses(cfg, recipients)


async def test_a_sender_killed_mid_batch_resends_at_most_the_message_in_flight(settings: Settings,
                                                                               tmp_path: Path) -> None:
    recipients = [unique_recipient(f"crash{i:02}") for i in range(40)]
    with smtp_server() as (smtp, port):
        cfg = smtp_settings(settings, port, notify_lease_seconds=LEASE)
        async with sessions(cfg) as sm:
            await queue_mails(sm, cfg, recipients)
        proc = _sender_process(cfg, port, tmp_path)
        killed_at: list[float] = []

        def _kill_on_tenth(_count: int) -> None:
            # The worst moment: the server has the 10th message, the sender has not seen the 250 yet. Only this
            # test's mails count (the server takes whatever reaches its port).
            if sum(m["To"] in recipients for m in smtp.messages) == 10 and not killed_at:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(5)
                killed_at.append(time.monotonic())

        smtp.on_accept = _kill_on_tenth
        try:
            await wait_for(lambda: asyncio.sleep(0, bool(killed_at)), timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        assert proc.returncode == -signal.SIGKILL
        smtp.on_accept = None
        # Each accepted message was recorded at once: only the one in flight is not.
        assert await _statuses(cfg, recipients) == {OutboxStatus.SENT: 9, OutboxStatus.SENDING: 31}

        async with sessions(cfg) as sm:
            sender = NotificationSender(cfg, sm)

            async def _all_sent() -> bool:
                await sender.drain()
                return (await _statuses(cfg, recipients)) == {OutboxStatus.SENT: 40}

            await wait_for(_all_sent, timeout=60)  # a hang guard: delivering 31 mails is slow on a loaded machine
        # The takeover (not the whole delivery): when the first mail after the kill reached the server.
        took = min(t for times in smtp.rcpt_times.values() for t in times if t > killed_at[0]) - killed_at[0]

    delivered = Counter(m["To"] for m in smtp.messages if m["To"] in set(recipients))
    assert set(delivered) == set(recipients)
    twice = [to for to, n in delivered.items() if n > 1]
    assert len(twice) <= 1 and all(delivered[to] == 2 for to in twice)
    for to in twice:  # the same Message-ID both times: the receiver can drop the copy
        assert len({m["Message-ID"] for m in smtp.to(to)}) == 1
    assert took < LEASE + 5  # the rest came due within one lease (the default is 30 s), not minutes later


async def test_the_heartbeat_keeps_a_slow_senders_lease(settings: Settings) -> None:
    recipients = [unique_recipient(f"slow{i}") for i in range(6)]
    with smtp_server() as (smtp, port):
        smtp.data_delay = 0.6  # the batch takes ~3.6 s, more than two leases
        cfg = smtp_settings(settings, port, notify_lease_seconds=1.5)
        async with sessions(cfg) as sm_a, sessions(cfg) as sm_b:
            await queue_mails(sm_a, cfg, recipients)
            slow = asyncio.create_task(NotificationSender(cfg, sm_a).drain())
            await wait_for(lambda: _claimed(cfg, recipients))  # the slow sender holds the batch first
            other = NotificationSender(cfg, sm_b)
            while not slow.done():  # a second sender polls all along: every row stays leased to the first
                await other.drain()
                await asyncio.sleep(0.05)
            assert await slow == len(recipients)
        assert await _statuses(cfg, recipients) == {OutboxStatus.SENT: len(recipients)}
    delivered = Counter(m["To"] for m in smtp.messages if m["To"] in set(recipients))
    assert delivered == dict.fromkeys(recipients, 1)
