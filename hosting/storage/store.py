"""Writes to the store: issuers, images, keys, badge classes, issuing, revoking, replacing.

The caller owns the session and commits; a failure leaves nothing behind once the caller rolls back.
Every write that changes a public document invalidates the cached copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, cast

import anyio
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

import openbadges_core as ob
from hosting.lib.crypto import KeyBox
from hosting.lib.db import bulk_insert, note_public_change
from hosting.lib.errors import Conflict, InvalidInput, NotFound
from hosting.lib.http import strong_etag
from hosting.lib.ids import new_public_id
from hosting.lib.urls import PublicUrls
from hosting.ob3 import credentials
from hosting.public import documents as docs
from hosting.storage import transitions
from hosting.storage.awards import Award, AwardRefused, among, holdings, rule_problems
from hosting.storage.models import (
    Acceptance,
    Assertion,
    AssertionState,
    BadgeClass,
    ClaimCode,
    DeletedIssuer,
    Issuer,
    KeyState,
    SigningKey,
    StoredImage,
    utcnow,
)
from openbadges_core import ob2

__all__ = ["Award", "AwardRefused", "HostingStore", "IssuedRow", "contact_email", "image_content_type", "lock_badge_class"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def image_content_type(data: bytes) -> str:
    """``image/png`` or ``image/svg+xml`` (by content, not by name); anything else is refused."""
    if data.startswith(_PNG_SIGNATURE):
        return "image/png"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) or b"<svg" in head:
        return "image/svg+xml"
    raise InvalidInput("image must be a PNG or an SVG", details=[{"field": "image", "message": "not PNG/SVG",
                                                                 "value": None}])


OB2_SIGNING_ALGS = ("RS256", "ES256")  # an issuer's Ed25519 key (OB 3.0 Data Integrity) never signs an OB 2.0 JWS


class IssuedRow:
    """A freshly inserted ``assertions`` row with the attributes of :class:`Assertion`, not attached to the
    session (building 10,000 ORM objects would cost more than inserting them)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__ = row  # the very dict inserted, not a copy: one dict a row for the garbage collector

    def __repr__(self) -> str:
        return f"IssuedRow(public_id={self.__dict__.get('public_id')!r})"


async def contact_email(session: AsyncSession, issuer_id: int) -> str | None:
    """The email an issuer's OB 2.0 profile publishes: its own, else (a BadgeKit issuer inside a system) its
    system's; None when neither has one (then nothing may be issued under it: see ``docs/compat-badgekit.md``)."""
    parent = aliased(Issuer)
    row = (await session.execute(
        select(Issuer.email, parent.email).outerjoin(parent, parent.id == Issuer.parent_id)
        .where(Issuer.id == issuer_id))).first()
    return None if row is None else (row[0] or row[1])


def _archived(badge: BadgeClass) -> Conflict:
    return Conflict("an archived badge class cannot be issued", details=[
        {"field": "badge", "message": "archived", "value": badge.public_id}])


def _set(row: dict[str, Any], assertion: Assertion, values: dict[str, Any]) -> None:
    """Set ``values`` on the row to insert (and so on its :class:`IssuedRow`, the same dict)."""
    row.update(values)


def _row(badge: BadgeClass, award: Award, now: datetime) -> dict[str, Any]:
    """The ``assertions`` row for ``award`` (every column given, so one bulk INSERT takes them all)."""
    if award.verification not in ("hosted", "signed"):
        raise InvalidInput("verification must be 'hosted' or 'signed'", details=[
            {"field": "verification", "message": "hosted or signed", "value": award.verification}])
    acceptance = award.acceptance or badge.acceptance or Acceptance.ISSUER
    if acceptance not in Acceptance.ALL:
        raise InvalidInput("acceptance must be 'issuer' or 'earner'", details=[
            {"field": "acceptance", "message": "issuer or earner", "value": acceptance}])
    if award.hashed:
        identity = ob2.hash_identity(award.recipient, type=award.recipient_type, salt=award.salt)
        recipient_identity, salt = identity.identity, identity.salt
    else:
        recipient_identity, salt = award.recipient, None
    return {
        "public_id": new_public_id(), "slug": award.slug, "badge_class_id": badge.id,
        "issuer_id": badge.issuer_id, "recipient_type": award.recipient_type,
        "recipient_identity": recipient_identity, "recipient_hashed": award.hashed, "recipient_salt": salt,
        "recipient_plaintext": award.recipient, "recipient_name": award.recipient_name,
        "issuer_earner_id": award.issuer_earner_id, "locale": award.locale,
        "recipient_first_name": award.first_name, "recipient_last_name": award.last_name,
        "external_user_id": award.external_user_id, "notification_suppressed": award.notification_suppressed,
        "issued_date": award.issued_date, "expires_date": award.expires_date,
        "issued_on": award.issued_on or now, "expires": award.expires, "narrative": award.narrative,
        "evidence": list(award.evidence),
        "verification_type": "hosted" if award.proof else award.verification, "key_id": None, "jws": None,
        "format": "ob3" if award.proof else "ob2", "proof_type": award.proof, "status_index": None, "credential": None,
        "state": AssertionState.PENDING if acceptance == Acceptance.EARNER else AssertionState.ACTIVE,
        "state_updated_at": now, "recipient_name_shown": False, "claim_code_id": award.claim_code_id,
        "revocation_reason": None, "revoked_at": None, "replaced_by_id": None, "created_by": award.created_by,
        "document": None, "document_etag": None, "document_base": None,
        "created_at": now, "updated_at": now,
    }


async def lock_badge_class(session: AsyncSession, badge: BadgeClass) -> BadgeClass:
    """Lock ``badge``'s row until the transaction ends and return it fresh: ``SELECT … FOR UPDATE`` on PostgreSQL,
    on SQLite a write to it first (the database's single write lock), so what is counted or checked under the lock
    cannot change before commit. Issuing, deleting a badge class and creating its claim codes take it.
    :class:`NotFound` when the badge class is gone."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(BadgeClass).where(BadgeClass.id == badge.id).values(updated_at=BadgeClass.updated_at))
    locked = await session.scalar(
        select(BadgeClass).where(BadgeClass.id == badge.id).with_for_update()
        .execution_options(populate_existing=True))
    if locked is None:
        raise NotFound("no such badge class")
    return locked


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
            raise InvalidInput(f"image is larger than {self.max_image_bytes} bytes")
        image = StoredImage(public_id=new_public_id(), content_type=image_content_type(data), data=data,
                            etag=strong_etag(data))
        self.session.add(image)
        await self.session.flush()
        return image

    async def replace_badge_image(self, badge: BadgeClass, data: bytes) -> None:
        """New artwork for ``badge``; the old image goes (baked images are made from the current artwork on
        request, so nothing else changes)."""
        old_image_id = badge.image_id
        badge.image_id = (await self.add_image(data)).id
        await self.session.flush()
        await self.session.execute(delete(StoredImage).where(StoredImage.id == old_image_id))

    async def create_issuer(self, *, slug: str, name: str, url: str, email: str | None = None,
                            description: str | None = None, image: bytes | None = None,
                            created_by: str | None = None) -> Issuer:
        """A new issuer; ``created_by`` is the email of whoever made it (shown as Badgr's ``createdBy``)."""
        exists = await self.session.scalar(select(Issuer.id).where(Issuer.slug == slug))
        if exists is not None:
            raise Conflict(f"an issuer with slug {slug!r} exists",
                                   details=[{"field": "slug", "message": "taken", "value": slug}])
        image_row = await self.add_image(image) if image is not None else None
        issuer = Issuer(public_id=new_public_id(), slug=slug, name=name, url=url, email=email,
                        description=description, image_id=image_row.id if image_row else None,
                        created_by=created_by)
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
                                 created_by: str | None = None, **fields: Any) -> BadgeClass:
        """A new badge class of ``issuer``; ``created_by`` is the email of whoever made it."""
        if not criteria_url and not criteria_narrative:
            raise InvalidInput("criteria needs a url or a narrative")
        exists = await self.session.scalar(
            select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id, BadgeClass.slug == slug)
        )
        if exists is not None:
            raise Conflict(f"a badge class with slug {slug!r} exists for this issuer")
        image_row = await self.add_image(image)
        badge = BadgeClass(public_id=new_public_id(), issuer_id=issuer.id, slug=slug, name=name,
                           description=description, image_id=image_row.id, criteria_url=criteria_url,
                           criteria_narrative=criteria_narrative, created_by=created_by, **fields)
        self.session.add(badge)
        await self.session.flush()
        return badge

    async def update_badge_class(self, badge: BadgeClass, fields: dict[str, Any], image: bytes | None = None) -> bool:
        """Set the columns ``fields`` (and new artwork ``image``) on ``badge``; if anything changed, its cached
        public document goes and the change is noted for the public caches. Whether anything changed."""
        changed = image is not None
        if image is not None:
            await self.replace_badge_image(badge, image)
        for column, value in fields.items():
            if getattr(badge, column) != value:
                setattr(badge, column, value)
                changed = True
        if changed:
            badge.invalidate()
            note_public_change(self.session, badge.public_id)
        return changed

    async def delete_badge_class(self, badge: BadgeClass, in_use: Callable[[int], Exception]) -> None:
        """Delete ``badge`` with its claim codes and its image, unless it has assertions (in any state): then
        ``in_use(their count)`` is raised (each API words its own 409) and nothing changes.

        The badge class row is locked before counting, the lock :meth:`award` takes, so an award in progress
        commits first and is counted (refused), and one that comes after finds the row gone (404 ``no such badge
        class``). 404 too when a concurrent deletion won (``no such badge class``) or the issuer was deleted while
        this waited for the lock (``no such issuer``), as looking either up would now answer."""
        await lock_badge_class(self.session, badge)
        await self._refuse_if_issuer_deleted(badge)
        count = int(await self.session.scalar(
            select(func.count()).select_from(Assertion).where(Assertion.badge_class_id == badge.id)) or 0)
        if count:
            raise in_use(count)
        image_id = badge.image_id
        await self.session.execute(delete(ClaimCode).where(ClaimCode.badge_class_id == badge.id))
        await self.session.delete(badge)
        await self.session.flush()
        await self.session.execute(delete(StoredImage).where(StoredImage.id == image_id))
        note_public_change(self.session, badge.public_id)

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
        proof: str | None = None,
        acceptance: str | None = None,
    ) -> Assertion:
        """Issue one assertion (hosted, or ``signed`` with the issuer's newest active key; an OB 3.0
        credential with ``proof``), without the issuing rules (limit, unique, duplicates: see :meth:`award`);
        returns the loaded row. Deletions are locked out as by :meth:`award`: 404 once the badge class or its
        issuer is deleted."""
        badge = await lock_badge_class(self.session, badge)
        if badge.archived:
            raise _archived(badge)
        await self._refuse_if_issuer_deleted(badge)
        award = Award(recipient=recipient, recipient_type=recipient_type, hashed=hashed, salt=salt,
                      issued_on=issued_on, expires=expires, narrative=narrative, evidence=tuple(evidence),
                      verification=verification, recipient_name=recipient_name,
                      issuer_earner_id=issuer_earner_id, slug=slug, locale=locale, proof=proof,
                      acceptance=acceptance)
        (made,) = await self._insert(badge, [award])
        await self._refuse_if_issuer_deleted(badge)  # as award: its row waited for a deletion holding the issuer
        return await self.session.get_one(Assertion, made.id)

    async def award(self, badge: BadgeClass, awards: Sequence[Award], *,
                    replacing: Assertion | None = None) -> list[Assertion]:
        """Issue ``awards`` under the badge class's rules, all or nothing.

        The badge class row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite a write to it,
        which takes the database's single write lock), so concurrent requests cannot both pass the ``limit``
        or ``unique`` checks. Refused awards raise :class:`AwardRefused` (every problem, with its index);
        an archived badge class, or ``signed`` without an active key, raises :class:`Conflict`; a badge class whose
        issuer was deleted meanwhile (by a transaction that committed while this one waited for the lock),
        :class:`NotFound`.
        ``replacing`` (an assertion about to be replaced) is left out of the checks.

        Rows are bulk-inserted; the returned objects are :class:`IssuedRow` copies (read them like an
        ``Assertion``; they are not attached to the session: load the row to change it).
        """
        badge = await lock_badge_class(self.session, badge)
        if badge.archived:
            raise _archived(badge)
        await self._refuse_if_issuer_deleted(badge)
        problems = rule_problems(badge, awards, await holdings(self.session, badge, awards, replacing))
        if problems:
            raise AwardRefused(problems)
        made = await self._insert(badge, awards)
        if made:
            # Again once the rows are in: inserting them waited for a deletion that holds the issuer's row
            # (one of a badge class made after that deletion locked the issuer's badge classes).
            await self._refuse_if_issuer_deleted(badge)
        return made

    async def _refuse_if_issuer_deleted(self, badge: BadgeClass) -> None:
        """404 ``no such issuer`` (as looking the issuer up would now answer) when the badge's issuer was deleted
        by a transaction that committed while this one waited for the badge class's lock: deleting an issuer
        (:func:`hosting.api.removal.delete_issuer`) locks its badge classes first, so an award either commits
        before the deletion counts the issuer's live assertions or sees its tombstone here."""
        deleted = await self.session.scalar(
            select(DeletedIssuer.issuer_id).where(DeletedIssuer.issuer_id == badge.issuer_id))
        if deleted is not None:
            raise NotFound("no such issuer")

    async def _insert(self, badge: BadgeClass, awards: Sequence[Award]) -> list[Assertion]:
        """Insert the rows once, in their final form (see :meth:`_finalise`), in one executemany."""
        now = utcnow()
        rows = [_row(badge, award, now) for award in awards]
        if not rows:
            return []
        if await contact_email(self.session, badge.issuer_id) is None:
            # an OB 2.0 Issuer Profile requires an email: without one the assertion could never verify
            raise Conflict("the badge's issuer has no `email` (nor has its system): set one before issuing",
                           details=[{"field": "email", "message": "the issuer needs a contact email to issue",
                                     "value": None}])
        made = [cast(Assertion, IssuedRow(row)) for row in rows]
        await self._finalise(badge, rows, made)
        # One executemany (RETURNING would make SQLite insert row by row; measured slower on PostgreSQL too),
        # then the ids (:meth:`_ids_of`).
        await bulk_insert(self.session, cast(Table, Assertion.__table__), rows)
        ids = await self._ids_of([row["public_id"] for row in rows])
        for assertion in made:
            assertion.id = ids[assertion.public_id]
        return made

    async def _ids_of(self, public_ids: list[str]) -> dict[str, int]:
        """``{public id: id}`` of fresh rows (:func:`~hosting.storage.awards.among`)."""
        ids: dict[str, int] = {}
        for query in among(self.session, select(Assertion.public_id, Assertion.id), Assertion.public_id, public_ids):
            ids.update((await self.session.execute(query)).all())
        return ids

    async def _finalise(self, badge: BadgeClass, rows: list[dict[str, Any]], made: list[Assertion]) -> None:
        """Fill in what is served, before the INSERT: the OB 2.0 document of a hosted assertion (rendered for
        the current base URL, kept in ``document_base``), the JWS of a signed one, the signed credential of an
        OB 3.0 one (with its status list index). The database is read here; the CPU-bound part runs after,
        off the event loop when there are many rows."""
        plans: list[Callable[[], None]] = []
        signed = [i for i, row in enumerate(rows) if row["format"] == "ob2" and row["verification_type"] == "signed"]
        if signed:
            key = await self._ob2_key(badge)
            private = self.private_key(key)
            for i in signed:
                rows[i]["key_id"] = made[i].key_id = key.id
                plans.append(partial(self._sign_ob2, badge, rows[i], made[i], key.public_id, private))
        hosted = [i for i, row in enumerate(rows) if row["format"] == "ob2" and row["verification_type"] == "hosted"]
        if hosted:  # one plan for them all: 10,000 partials would only feed the garbage collector
            plans.append(partial(self._render_ob2, badge, rows, made, hosted))
        ob3 = [i for i, row in enumerate(rows) if row["format"] == "ob3"]
        if ob3:
            plans.extend(await self._ob3_plans(badge, rows, made, ob3))
        if len(plans) > 8 or len(hosted) > 8:
            await anyio.to_thread.run_sync(lambda: [plan() for plan in plans])
        else:
            for plan in plans:
                plan()

    async def _ob3_plans(self, badge: BadgeClass, rows: list[dict[str, Any]], made: list[Assertion],
                         which: list[int]) -> list[Callable[[], None]]:
        issuer = await self.session.get_one(Issuer, badge.issuer_id)
        indexes = await credentials.allocate_indexes(self.session, issuer.id, len(which))
        # The issuer's status list is signed with an Ed25519 key: made now if need be, so that serving the list
        # (a public GET) never has to write one.
        await credentials.signing_key(self.session, self.keybox, issuer, "di")
        signers: dict[str, tuple[credentials.CredentialSigner, int]] = {}
        plans: list[Callable[[], None]] = []
        for i, index in zip(which, indexes, strict=True):
            proof = rows[i]["proof_type"]
            if proof not in signers:
                signers[proof] = await credentials.credential_signer(self.session, self.urls, self.keybox,
                                                                     issuer, proof)
            signer, key_id = signers[proof]
            _set(rows[i], made[i], {"status_index": index, "key_id": key_id})

            def plan(row: dict[str, Any] = rows[i], assertion: Assertion = made[i],
                     signer: credentials.CredentialSigner = signer) -> None:
                _set(row, assertion, credentials.credential_values(assertion, badge, issuer, self.urls, signer))

            plans.append(plan)
        return plans

    def _render_ob2(self, badge: BadgeClass, rows: list[dict[str, Any]], made: list[Assertion],
                    which: list[int]) -> None:
        """The hosted OB 2.0 documents of ``rows[i]`` for ``i`` in ``which``; the first (the batch's shape) and
        every row with evidence are schema-checked."""
        for n, i in enumerate(which):
            body = docs.assertion_document(made[i], badge.public_id, self.urls, key_public_id=None,
                                           validate=n == 0 or bool(rows[i]["evidence"]))
            _set(rows[i], made[i], {"document": body, "document_etag": strong_etag(body),
                                    "document_base": self.urls.base})

    def _sign_ob2(self, badge: BadgeClass, row: dict[str, Any], assertion: Assertion, key_public_id: str,
                  private: Any) -> None:
        mapping = docs.assertion_mapping(assertion, badge.public_id, self.urls, key_public_id=key_public_id)
        document = ob2.Assertion.from_dict(mapping)
        body = document.to_json()
        _set(row, assertion, {"jws": ob.sign_assertion(document, private), "document": body,
                              "document_etag": strong_etag(body), "document_base": self.urls.base})

    async def _ob2_key(self, badge: BadgeClass) -> SigningKey:
        key = await self.session.scalar(
            select(SigningKey)
            .where(SigningKey.issuer_id == badge.issuer_id, SigningKey.state == KeyState.ACTIVE,
                   SigningKey.alg.in_(OB2_SIGNING_ALGS))
            .order_by(SigningKey.id.desc())
            .limit(1)
        )
        if key is None:
            raise Conflict("the issuer has no active RS256/ES256 key to sign with", details=[
                {"field": "verification", "message": "no active signing key", "value": "signed"}])
        return key

    async def get_assertion(self, public_id: str) -> Assertion:
        assertion = await self.session.scalar(select(Assertion).where(Assertion.public_id == public_id))
        if assertion is None:
            raise NotFound("no assertion with that id")
        return assertion

    async def revoke(self, assertion: Assertion, reason: str, *, action: str = "revoke") -> None:
        """Revoke (or, ``action="withdraw"``, withdraw) an assertion that is not revoked or replaced: one
        conditional UPDATE (:mod:`hosting.storage.transitions`); :class:`Conflict` otherwise."""
        await transitions.apply(self.session, assertion, action, revocation_reason=reason, revoked_at=utcnow())

    async def replace(self, old: Assertion, new: Assertion) -> None:
        """``old`` now redirects to ``new`` (and through ``new`` to whatever replaces it later); lock ``old``
        with :meth:`lock_for` before issuing ``new``. :class:`Conflict` unless ``old`` is active or pending."""
        if old.id == new.id:
            raise InvalidInput("an assertion cannot replace itself")
        await transitions.apply(self.session, old, "replace", replaced_by_id=new.id)

    async def lock_for(self, assertion: Assertion, action: str) -> None:
        """Lock the row and check that ``action`` is allowed from its state now (409 otherwise)."""
        await transitions.lock(self.session, assertion, action)
