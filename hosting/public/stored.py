"""Issuer, badge class and key documents: rendered from their rows, and stored (bytes, ETag, base URL) by the unit
of work that creates or changes them, right before its COMMIT, so a public GET serves stored bytes (one Core
SELECT, no ORM object) instead of rendering. A row without a current document (changed outside a request, or
under another base URL) is rendered on the fly by the GET, never written there."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from hosting.lib.errors import NotFound
from hosting.lib.http import strong_etag
from hosting.lib.urls import PublicUrls
from hosting.public import documents as docs
from hosting.storage.models import BadgeClass, Issuer, KeyState, SigningKey

__all__ = ["render_document", "store_documents"]

_log = logging.getLogger("hosting")
_RENDERED = (Issuer, BadgeClass, SigningKey)
_TOUCHED = "openbadges_rendered_touched"


@event.listens_for(Session, "before_flush")
def _note_touched(session: Session, _context: Any, _instances: Any) -> None:
    """Keep the issuers, badge classes and keys a flush writes (the identity map only holds clean objects
    weakly: a handler's flushed issuer may be gone by the COMMIT)."""
    touched = [obj for obj in (*session.new, *session.dirty) if isinstance(obj, _RENDERED)]
    if touched:
        session.info.setdefault(_TOUCHED, []).extend(touched)


async def render_document(session: AsyncSession, obj: Issuer | BadgeClass | SigningKey, urls: PublicUrls) -> bytes:
    """The public JSON-LD of an issuer (with its OB 2.0 keys, newest active first), badge class or key."""
    if isinstance(obj, Issuer):
        keys = (
            await session.execute(
                select(SigningKey.public_id, SigningKey.state)
                .where(SigningKey.issuer_id == obj.id, SigningKey.alg.in_(docs.OB2_KEY_ALGS))
                .order_by(SigningKey.id.desc())
            )
        ).all()
        published = [k.public_id for k in keys if k.state == KeyState.ACTIVE]  # newest active key first,
        published += [k.public_id for k in keys if k.state != KeyState.ACTIVE]  # retired ones still verify
        email = obj.email
        if email is None and obj.parent_id is not None:  # a BadgeKit issuer publishes its system's email
            email = await session.scalar(select(Issuer.email).where(Issuer.id == obj.parent_id))
        if email is None:  # an OB 2.0 Issuer Profile requires one; nothing can be issued under it meanwhile
            raise NotFound("this issuer has no contact email yet, so it has no published profile")
        return docs.issuer_document(obj, urls, key_public_ids=published, email=email)
    issuer_public_id = (await session.execute(select(Issuer.public_id).where(Issuer.id == obj.issuer_id))).scalar_one()
    if isinstance(obj, BadgeClass):
        return docs.badge_document(obj, issuer_public_id, urls)
    return docs.key_document(obj, issuer_public_id, urls)


def _in_session(obj: Any) -> bool:
    state = instance_state(obj)
    return not (state.deleted or state.was_deleted or state.detached)


async def store_documents(session: AsyncSession, urls: PublicUrls) -> None:
    """Render and store the documents of the issuers, badge classes and keys ``session`` created or changed
    (whatever changed: rendering is cheap and always current). Call it right before the COMMIT of a writing unit
    of work. A document that fails to render is left as it was (the GET renders it when not current) and logged."""
    touched = session.info.pop(_TOUCHED, [])
    pending = [obj for obj in [*touched, *session.new, *session.dirty]
               if isinstance(obj, _RENDERED) and _in_session(obj)]
    if not pending:
        return
    await session.flush()  # ids and foreign keys of new rows
    parents = [obj.id for obj in pending if isinstance(obj, Issuer)]
    if parents:  # BadgeKit issuers without an email of their own publish their system's: theirs change too
        pending += (await session.scalars(
            select(Issuer).where(Issuer.parent_id.in_(parents), Issuer.email.is_(None)))).all()
    for obj in dict.fromkeys(pending):
        try:
            if instance_state(obj).expired_attributes:  # e.g. server defaults after the INSERT: load them
                await session.refresh(obj)
            body = await render_document(session, obj, urls)
        except NotFound:  # nothing to publish now (an issuer without a contact email): no stale copy either
            obj.document = obj.document_etag = obj.document_base = None
            continue
        except Exception as exc:  # noqa: BLE001 - the write stands; the GET renders the document instead
            _log.warning("could not store the document of %s %s: %s: %s", type(obj).__name__, obj.public_id,
                         type(exc).__name__, exc)
            obj.document = obj.document_etag = obj.document_base = None
            continue
        obj.document, obj.document_etag, obj.document_base = body, strong_etag(body), urls.base
