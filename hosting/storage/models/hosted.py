"""Storage: issuers, badge classes, assertions, keys and images (SQLAlchemy 2, async).

Internal integer primary keys never leave the database; the public face of every row is ``public_id``
(random, see :mod:`hosting.lib.ids`) and, where the issuer API allows it, a ``slug``.

Rows that are served publicly cache their serialised document (``document``), its strong ETag and the base
URL it was rendered for. An assertion's is written with the row at issue, once; issuers, badge classes and
keys clear theirs on change (see :meth:`Renderable.invalidate`). The public endpoints never write: a missing
document, or one made for another base URL, is rendered on the fly and served.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from hosting.lib.ids import new_public_id
from hosting.storage.models.base import Base, utcnow

__all__ = [
    "Acceptance",
    "Assertion",
    "AssertionState",
    "BadgeClass",
    "Issuer",
    "KeyState",
    "SigningKey",
    "StoredImage",
]

class AssertionState:
    PENDING = "pending"  # issued, waiting for the earner to accept (unpublished: public URLs answer 404)
    ACTIVE = "active"  # accepted (at once by default, or by the earner): published
    REJECTED = "rejected"  # the earner declined it: unpublished for good
    REVOKED = "revoked"
    REPLACED = "replaced"
    UNPUBLISHED = ("pending", "rejected")


class Acceptance:
    """Who accepts an assertion: the issuer (at issue) or the earner (pending until then). A badge class's setting
    (``BadgeClass.acceptance``) may be unset (None): each API then applies its own default — the issuer for
    ``/v1``, Badgr and BadgeKit, the earner for Credly (whose templates issue pending badges unless
    ``badges_issued_as_accepted``)."""

    ISSUER = "issuer"
    EARNER = "earner"
    ALL = ("issuer", "earner")

    @staticmethod
    def setting(current: str | None, wanted: str, default: str) -> str | None:
        """A badge class's setting ``current`` once an API whose default is ``default`` writes ``wanted``: an unset
        one stays unset when ``wanted`` is what that API reads from it already, so a GET echoed into a PUT through
        one API changes nothing for the others."""
        return None if current is None and wanted == default else wanted


class KeyState:
    ACTIVE = "active"
    RETIRED = "retired"


def _public_id_column() -> Mapped[str]:
    return mapped_column(String(64), unique=True, default=new_public_id)


class Renderable:
    """Columns caching a pre-serialised public document."""

    document: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, default=None)
    document_etag: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    document_base: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def invalidate(self) -> None:
        """Forget the cached document (call after any change that shows in it)."""
        self.document = None
        self.document_etag = None
        self.document_base = None
        self.updated_at = utcnow()


class StoredImage(Base):
    """Badge or issuer artwork, stored in the database (baked images are not stored: hosting/public/baking.py)."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = _public_id_column()
    content_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Issuer(Renderable, Base):
    __tablename__ = "issuers"
    __table_args__ = (UniqueConstraint("parent_id", "badgekit_slug", name="uq_issuers_parent_badgekit_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = _public_id_column()
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2048))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, default=None)
    description: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("images.id"), nullable=True, default=None)
    # BadgeKit's hierarchy: an issuer inside a system has that system (a top-level issuer) as parent, and its
    # BadgeKit slug is unique within the system (its global ``slug`` is generated: see hosting/badgekit/issuers.py).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("issuers.id"), nullable=True, default=None, index=True)
    badgekit_slug: Mapped[str | None] = mapped_column(String(50), nullable=True, default=None)
    # who made it: the email of the caller (a /v1 token's or a /v2 user's); None when not recorded
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True, default=None)

    image: Mapped[StoredImage | None] = relationship(lazy="raise", foreign_keys=[image_id])


class SigningKey(Renderable, Base):
    """An issuer's key pair; the private half is encrypted at rest (see :mod:`hosting.lib.crypto`)."""

    __tablename__ = "keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = _public_id_column()
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    alg: Mapped[str] = mapped_column(String(16))
    kid: Mapped[str] = mapped_column(String(128))
    public_key_pem: Mapped[str] = mapped_column(Text)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[str] = mapped_column(String(16), default=KeyState.ACTIVE)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)

    issuer: Mapped[Issuer] = relationship(lazy="raise")


class BadgeClass(Renderable, Base):
    __tablename__ = "badge_classes"
    __table_args__ = (UniqueConstraint("issuer_id", "slug", name="uq_badge_classes_issuer_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = _public_id_column()
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"), index=True)
    slug: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id"))
    criteria_url: Mapped[str | None] = mapped_column(String(2048), nullable=True, default=None)
    criteria_narrative: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    alignment: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # BadgeKit fields
    strapline: Mapped[str | None] = mapped_column(String(140), nullable=True, default=None)
    earner_description: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    consumer_description: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    badge_type: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)
    issuer_url: Mapped[str | None] = mapped_column(String(2048), nullable=True, default=None)
    rubric_url: Mapped[str | None] = mapped_column(String(2048), nullable=True, default=None)
    time_value: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    time_units: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    limit: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    # Badgr's badge class ``expires``: the default lifetime of assertions issued through ``/v2`` (both or neither)
    expires_amount: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    expires_duration: Mapped[str | None] = mapped_column(String(8), nullable=True, default=None)
    unique: Mapped[bool] = mapped_column(Boolean, default=False)
    criteria_items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # A BadgeKit program badge: the program (of ``issuer``) it belongs to; null for system and issuer badges.
    program_id: Mapped[int | None] = mapped_column(ForeignKey("badgekit_programs.id"), nullable=True, default=None,
                                                   index=True)
    # BadgeKit milestones of which this is the primary badge: [{id, action, numberRequired, supportBadges: [ids]}]
    milestones: Mapped[list[Any]] = mapped_column(JSON, default=list, server_default="[]")
    # Badgr fields
    achievement_type: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)
    image_alt_text: Mapped[str | None] = mapped_column(String(1024), nullable=True, default=None)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # Who accepts its assertions unless the issue request says: "issuer" (at once) or "earner" (pending); None:
    # not set, each API applies its own default (Acceptance.DEFAULT; Credly's ``badges_issued_as_accepted``).
    acceptance: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    # Credly template fields (hosting/credly/templates.py): ``tags`` are its skills
    reporting_tags: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True, default=list)
    global_activity_url: Mapped[str | None] = mapped_column(String(2048), nullable=True, default=None)
    # who made it: the email of the caller (a /v1 token's or a /v2 user's); None when not recorded
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True, default=None)

    issuer: Mapped[Issuer] = relationship(lazy="raise")
    image: Mapped[StoredImage] = relationship(lazy="raise", foreign_keys=[image_id])


class Assertion(Renderable, Base):
    __tablename__ = "assertions"
    __table_args__ = (
        Index("ix_assertions_issuer_created", "issuer_id", "created_at", "id"),
        Index("ix_assertions_badge_recipient", "badge_class_id", "recipient_plaintext"),
        Index("ix_assertions_issuer_state", "issuer_id", "state"),
        # Listing (hosting/_api_listing.py): keyset pagination per issuer and per badge class, in creation and
        # issue order, and the recipient filter across an issuer's badges (in creation order: without it
        # SQLite's planner walks the whole issuer in ix_assertions_issuer_created order).
        Index("ix_assertions_issuer_issued", "issuer_id", "issued_on", "id"),
        Index("ix_assertions_badge_created", "badge_class_id", "created_at", "id"),
        Index("ix_assertions_badge_issued", "badge_class_id", "issued_on", "id"),
        Index("ix_assertions_issuer_recipient", "issuer_id", "recipient_plaintext", "created_at", "id"),
        # Credly's ``user_id`` filter across an issuer's badges.
        Index("ix_assertions_issuer_external_user", "issuer_id", "external_user_id"),
        UniqueConstraint("issuer_id", "status_index", name="uq_assertions_issuer_status_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = _public_id_column()
    slug: Mapped[str | None] = mapped_column(String(50), nullable=True, default=None)
    badge_class_id: Mapped[int] = mapped_column(ForeignKey("badge_classes.id"))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("issuers.id"))
    # Public recipient (what goes into the IdentityObject)
    recipient_type: Mapped[str] = mapped_column(String(16), default="email")
    recipient_identity: Mapped[str] = mapped_column(String(512))
    recipient_hashed: Mapped[bool] = mapped_column(Boolean, default=True)
    recipient_salt: Mapped[str | None] = mapped_column(String(128), nullable=True, default=None)
    # Private recipient fields: never in a public document
    recipient_plaintext: Mapped[str | None] = mapped_column(String(512), nullable=True, default=None)
    recipient_name: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)
    issuer_earner_id: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    # As Credly's issue fields give them (hosting/credly/): the earner's first and last names apart (so reads
    # return them exactly), the issuer's own user id for the earner, and whether the issue email was suppressed.
    recipient_first_name: Mapped[str | None] = mapped_column(String(120), nullable=True, default=None)
    recipient_last_name: Mapped[str | None] = mapped_column(String(120), nullable=True, default=None)
    external_user_id: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)
    notification_suppressed: Mapped[bool | None] = mapped_column(Boolean, nullable=True, default=None)
    # Credly's time zone-agnostic dates: the calendar days of issued_at/expires_at in the offset they were given
    # with (NULL when issued elsewhere: the UTC day of issued_on/expires stands in)
    issued_date: Mapped[date | None] = mapped_column(Date, nullable=True, default=None)
    expires_date: Mapped[date | None] = mapped_column(Date, nullable=True, default=None)

    issued_on: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
    narrative: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)

    verification_type: Mapped[str] = mapped_column(String(16), default="hosted")  # hosted | signed
    key_id: Mapped[int | None] = mapped_column(ForeignKey("keys.id"), nullable=True, default=None)
    jws: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    # Open Badges 3.0: format "ob3", proof "di" (eddsa-rdfc-2022) or "jwt" (VC-JWT, kept in ``jws``), and the
    # credential's index in the issuer's BitstringStatusList (random, unique per issuer).
    format: Mapped[str] = mapped_column(String(8), default="ob2", server_default="ob2")
    proof_type: Mapped[str | None] = mapped_column(String(8), nullable=True, default=None)
    status_index: Mapped[int | None] = mapped_column(Integer, nullable=True, default=None)
    # The signed credential (JSON; for VC-JWT the payload, the token itself being in ``jws``): immutable once
    # signed, so it is kept apart from the re-renderable ``document``.
    credential: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, default=None)

    state: Mapped[str] = mapped_column(String(16), default=AssertionState.ACTIVE)
    # When ``state`` last changed (every transition of hosting/storage/transitions.py sets it).
    state_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The earner opted in, on acceptance, to show the issuer-recorded ``recipient_name`` on the badge page.
    recipient_name_shown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The claim code this assertion was claimed (or issued) with (hosting/earners/codes.py).
    claim_code_id: Mapped[int | None] = mapped_column(ForeignKey("claim_codes.id"), nullable=True, default=None)
    revocation_reason: Mapped[str | None] = mapped_column(Text, nullable=True, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("assertions.id"), nullable=True, default=None
    )
    # who made it: the email of the caller (a /v1 token's or a /v2 user's); None when not recorded
    created_by: Mapped[str | None] = mapped_column(String(320), nullable=True, default=None)

    badge_class: Mapped[BadgeClass] = relationship(lazy="raise")
    issuer: Mapped[Issuer] = relationship(lazy="raise")

