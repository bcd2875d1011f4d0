"""Writes to the store: issuers, images, keys, badge classes, issuing, revoking, replacing.

The caller owns the session and commits; a failure leaves nothing behind once the caller rolls back.
Every write that changes a public document invalidates the cached copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import openbadges_core as ob
from hosting import _documents as docs
from hosting._crypto import KeyBox
from hosting._errors import BadRequest, ResourceConflict, ResourceNotFound
from hosting._http import strong_etag
from hosting._ids import new_public_id
from hosting._models import (
    Assertion,
    AssertionState,
    BadgeClass,
    Issuer,
    KeyState,
    SigningKey,
    StoredImage,
    utcnow,
)
from hosting._urls import PublicUrls

__all__ = ["HostingStore", "image_content_type"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_content_type(data: bytes) -> str:
    """``image/png`` or ``image/svg+xml`` (by content, not by name); anything else is refused."""
    if data.startswith(_PNG_SIGNATURE):
        return "image/png"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return "image/svg+xml"
    raise BadRequest("image must be a PNG or an SVG", details=[{"field": "image", "message": "not PNG/SVG",
                                                                 "value": None}])


class HostingStore:
    """Domain writes on one session (the issuer API builds on these)."""

    def __init__(self, session: AsyncSession, urls: PublicUrls, keybox: KeyBox, *,
                 max_image_bytes: int = 2 * 1024 * 1024) -> None:
        self.session = session
        self.urls = urls
        self.keybox = keybox
        self.max_image_bytes = max_image_bytes

    async def add_image(self, data: bytes) -> StoredImage:
        if len(data) > self.max_image_bytes:
            raise BadRequest(f"image is larger than {self.max_image_bytes} bytes")
        image = StoredImage(public_id=new_public_id(), content_type=image_content_type(data), data=data,
                            etag=strong_etag(data))
        self.session.add(image)
        await self.session.flush()
        return image

    async def create_issuer(self, *, slug: str, name: str, url: str, email: str | None = None,
                            description: str | None = None, image: bytes | None = None) -> Issuer:
        exists = await self.session.scalar(select(Issuer.id).where(Issuer.slug == slug))
        if exists is not None:
            raise ResourceConflict(f"an issuer with slug {slug!r} exists",
                                   details=[{"field": "slug", "message": "taken", "value": slug}])
        image_row = await self.add_image(image) if image is not None else None
        issuer = Issuer(public_id=new_public_id(), slug=slug, name=name, url=url, email=email,
                        description=description, image_id=image_row.id if image_row else None)
        self.session.add(issuer)
        await self.session.flush()
        return issuer

    async def create_key(self, issuer: Issuer, alg: str = "RS256") -> SigningKey:
        private = ob.generate_key(alg)
        key = SigningKey(
            public_id=new_public_id(), issuer_id=issuer.id, alg=private.alg, kid=private.kid,
            public_key_pem=private.public_key.to_pem().decode(),
            private_key_encrypted=self.keybox.encrypt(private.to_pem()), state=KeyState.ACTIVE,
        )
        self.session.add(key)
        issuer.invalidate()
        await self.session.flush()
        return key

    async def retire_key(self, key: SigningKey) -> None:
        key.state = KeyState.RETIRED
        key.retired_at = utcnow()
        issuer = await self.session.get_one(Issuer, key.issuer_id)
        issuer.invalidate()
        await self.session.flush()

    def private_key(self, key: SigningKey) -> Any:
        """The decrypted private key (an ``openbadges_core.PrivateKey``)."""
        return ob.load_private_key(self.keybox.decrypt(key.private_key_encrypted))

    async def create_badge_class(self, issuer: Issuer, *, slug: str, name: str, description: str, image: bytes,
                                 criteria_url: str | None = None, criteria_narrative: str | None = None,
                                 **fields: Any) -> BadgeClass:
        if not criteria_url and not criteria_narrative:
            raise BadRequest("criteria needs a url or a narrative")
        exists = await self.session.scalar(
            select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id, BadgeClass.slug == slug)
        )
        if exists is not None:
            raise ResourceConflict(f"a badge class with slug {slug!r} exists for this issuer")
        image_row = await self.add_image(image)
        badge = BadgeClass(public_id=new_public_id(), issuer_id=issuer.id, slug=slug, name=name,
                           description=description, image_id=image_row.id, criteria_url=criteria_url,
                           criteria_narrative=criteria_narrative, **fields)
        self.session.add(badge)
        await self.session.flush()
        return badge

    async def issue(
        self,
        badge: BadgeClass,
        recipient: str,
        *,
        recipient_type: str = "email",
        hashed: bool = True,
        salt: str | None = None,
        issued_on: datetime | None = None,
        expires: datetime | None = None,
        narrative: str | None = None,
        evidence: Sequence[dict[str, Any]] = (),
        verification: str = "hosted",
        recipient_name: str | None = None,
        issuer_earner_id: str | None = None,
        slug: str | None = None,
        locale: str | None = None,
    ) -> Assertion:
        """Issue one assertion (hosted, or ``signed`` with the issuer's newest active key)."""
        if badge.archived:
            raise ResourceConflict("an archived badge class cannot be issued")
        if hashed:
            identity = ob.hash_identity(recipient, type=recipient_type, salt=salt)
            recipient_identity, recipient_salt = identity.identity, identity.salt
        else:
            recipient_identity, recipient_salt = recipient, None
        assertion = Assertion(
            public_id=new_public_id(), slug=slug, badge_class_id=badge.id, issuer_id=badge.issuer_id,
            recipient_type=recipient_type, recipient_identity=recipient_identity, recipient_hashed=hashed,
            recipient_salt=recipient_salt, recipient_plaintext=recipient, recipient_name=recipient_name,
            issuer_earner_id=issuer_earner_id, locale=locale, issued_on=issued_on or utcnow(), expires=expires,
            narrative=narrative, evidence=list(evidence), verification_type=verification,
            state=AssertionState.ACTIVE,
        )
        if verification == "signed":
            key = await self.session.scalar(
                select(SigningKey)
                .where(SigningKey.issuer_id == badge.issuer_id, SigningKey.state == KeyState.ACTIVE)
                .order_by(SigningKey.id.desc())
                .limit(1)
            )
            if key is None:
                raise ResourceConflict("the issuer has no active key to sign with")
            assertion.key_id = key.id
            mapping = docs.assertion_mapping(assertion, badge.public_id, self.urls, key_public_id=key.public_id)
            document = ob.Assertion.from_dict(mapping)
            assertion.jws = ob.sign_assertion(document, self.private_key(key))
            body = document.to_json()
            assertion.document, assertion.document_etag = body, strong_etag(body)
            assertion.document_base = self.urls.base
        elif verification != "hosted":
            raise BadRequest("verification must be 'hosted' or 'signed'")
        self.session.add(assertion)
        await self.session.flush()
        return assertion

    async def get_assertion(self, public_id: str) -> Assertion:
        assertion = await self.session.scalar(select(Assertion).where(Assertion.public_id == public_id))
        if assertion is None:
            raise ResourceNotFound("no assertion with that id")
        return assertion

    async def revoke(self, assertion: Assertion, reason: str) -> None:
        if assertion.state == AssertionState.REVOKED:
            return
        assertion.state = AssertionState.REVOKED
        assertion.revocation_reason = reason
        assertion.revoked_at = utcnow()
        assertion.invalidate()
        await self.session.flush()

    async def replace(self, old: Assertion, new: Assertion) -> None:
        """``old`` now redirects to ``new`` (and through ``new`` to whatever replaces it later)."""
        if old.id == new.id:
            raise BadRequest("an assertion cannot replace itself")
        old.state = AssertionState.REPLACED
        old.replaced_by_id = new.id
        old.invalidate()
        await self.session.flush()
