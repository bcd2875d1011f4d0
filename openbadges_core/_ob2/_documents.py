"""The five OB 2.0 documents: Issuer (Profile), BadgeClass, Assertion, CryptographicKey, RevocationList,
and :func:`parse_document` (type detected from ``type``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openbadges_core._ob2._model import (
    BOOL,
    DATETIME,
    STR_OR_LIST,
    TEXT,
    Node,
    decode_json,
    extra_field,
    fail,
    model,
    node_codec,
    prop,
    shape_field,
)
from openbadges_core._ob2._nodes import (
    Alignment,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    RevokedAssertion,
    VerificationObject,
)

__all__ = ["Issuer", "BadgeClass", "Assertion", "CryptographicKey", "RevocationList", "parse_document",
           "Document"]

_frozen = dataclass(frozen=True, slots=True, kw_only=True)

_IMAGE = node_codec(lambda: Image, iri=True)
_VERIFICATION = node_codec(lambda: VerificationObject, iri=False)


@model("CryptographicKey")
@_frozen
class CryptographicKey(Node):
    """A public key document (``sec:Key``); ``owner`` is the Issuer IRI, which lists it in ``publicKey``."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="CryptographicKey")
    id: str = prop("id", required=True)
    owner: str = prop("owner", required=True)
    public_key_pem: str = prop("publicKeyPem", required=True)
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()


@model("Issuer")
@_frozen
class Issuer(Node):
    """An Issuer Profile (``type`` ``Issuer`` or ``Profile``)."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="Issuer")
    id: str = prop("id", required=True)
    name: str = prop("name", required=True)
    url: str = prop("url", required=True)
    email: str = prop("email", required=True)
    description: str | None = prop("description")
    image: str | Image | None = prop("image", _IMAGE)
    telephone: str | None = prop("telephone")
    public_key: str | CryptographicKey | None = prop("publicKey", node_codec(lambda: CryptographicKey, iri=True))
    revocation_list: str | None = prop("revocationList")
    verification: VerificationObject | None = prop("verification", _VERIFICATION)
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()


@model("BadgeClass")
@_frozen
class BadgeClass(Node):
    """The achievement: name, description, image, criteria and the issuer (IRI or embedded Issuer)."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="BadgeClass")
    id: str = prop("id", required=True)
    name: str = prop("name", required=True)
    description: str = prop("description", required=True)
    image: str | Image = prop("image", _IMAGE, required=True)
    criteria: str | Criteria = prop("criteria", node_codec(lambda: Criteria, iri=True), required=True)
    issuer: str | Issuer = prop("issuer", node_codec(lambda: Issuer, iri=True), required=True)
    alignment: tuple[Alignment, ...] = prop("alignment", node_codec(lambda: Alignment, iri=False), many=True)
    tags: tuple[str, ...] = prop("tags", TEXT, many=True)
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()

    @property
    def issuer_id(self) -> str:
        """The issuer's IRI, whether ``issuer`` is an IRI or an embedded :class:`Issuer`."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id


@model("Assertion")
@_frozen
class Assertion(Node):
    """An awarded badge: who (``recipient``), what (``badge``), when (``issued_on``) and how to verify."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="Assertion")
    id: str = prop("id", required=True)
    recipient: IdentityObject = prop("recipient", node_codec(lambda: IdentityObject, iri=False), required=True)
    badge: str | BadgeClass = prop("badge", node_codec(lambda: BadgeClass, iri=True), required=True)
    verification: VerificationObject = prop("verification", _VERIFICATION, required=True)
    issued_on: datetime = prop("issuedOn", DATETIME, required=True)
    image: str | Image | None = prop("image", _IMAGE)
    evidence: tuple[str | Evidence, ...] = prop("evidence", node_codec(lambda: Evidence, iri=True), many=True)
    narrative: str | None = prop("narrative")
    expires: datetime | None = prop("expires", DATETIME)
    revoked: bool | None = prop("revoked", BOOL)
    revocation_reason: str | None = prop("revocationReason")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()

    @property
    def badge_id(self) -> str:
        """The BadgeClass IRI, whether ``badge`` is an IRI or an embedded :class:`BadgeClass`."""
        return self.badge if isinstance(self.badge, str) else self.badge.id


@model("RevocationList")
@_frozen
class RevocationList(Node):
    """The issuer's list of revoked assertions: IRIs, or :class:`RevokedAssertion` entries with a reason."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="RevocationList")
    id: str = prop("id", required=True)
    issuer: str | Issuer | None = prop("issuer", node_codec(lambda: Issuer, iri=True))
    revoked_assertions: tuple[str | RevokedAssertion, ...] = prop(
        "revokedAssertions", node_codec(lambda: RevokedAssertion, iri=True), many=True, always=True)
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()

    def entry_for(self, assertion_id: str) -> RevokedAssertion | None:
        """The entry revoking ``assertion_id`` (a bare IRI entry comes back as a reason-less entry)."""
        for entry in self.revoked_assertions:
            if isinstance(entry, str):
                if entry == assertion_id:
                    return RevokedAssertion(id=entry)
            elif assertion_id in (entry.id, entry.uid):
                return entry
        return None

    def is_revoked(self, assertion_id: str) -> bool:
        """Whether ``assertion_id`` is on this list."""
        return self.entry_for(assertion_id) is not None


Document = Issuer | BadgeClass | Assertion | CryptographicKey | RevocationList

DOCUMENT_CLASSES: dict[str, type[Node]] = {
    "Assertion": Assertion,
    "BadgeClass": BadgeClass,
    "Issuer": Issuer,
    "CryptographicKey": CryptographicKey,
    "RevocationList": RevocationList,
}


def parse_document(data: str | bytes | Mapping[str, Any]) -> Document:
    """Parse and validate any OB 2.0 document; its class is chosen by ``type``.

    Raises :class:`ParseError` for non-JSON input or an unknown ``type``, :class:`ValidationError` (with
    ``.issues``) for a document that breaks a rule.
    """
    from openbadges_core._validation import detect_kind

    mapping = data if isinstance(data, Mapping) else decode_json(data)
    kind = detect_kind(mapping)
    cls = DOCUMENT_CLASSES.get(kind or "")
    if cls is None:
        shown = mapping.get("type", "<missing>")
        raise fail("type", "document_type",
                   f"not an OB 2.0 document type we know: {shown!r} (expected Assertion, BadgeClass, "
                   "Issuer/Profile, CryptographicKey or RevocationList)", parse=True)
    return cls.from_dict(mapping)  # type: ignore[return-value]
