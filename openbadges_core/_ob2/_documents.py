"""The five OB 2.0 documents: Issuer (Profile), BadgeClass, Assertion, CryptographicKey, RevocationList,
and :func:`parse_document` (type detected from ``type``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from openbadges_core._ob2._base import ValidatedNode
from openbadges_core._ob2._context import detect_kind
from openbadges_core._ob2._model import (
    BOOL,
    DATETIME,
    STR_OR_LIST,
    TEXT,
    decode_json,
    fail,
    node_codec,
    ob2_model,
    prop,
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

__all__ = [
    "Assertion",
    "BadgeClass",
    "CryptographicKey",
    "Document",
    "Issuer",
    "RevocationList",
    "parse_document",
]


_IMAGE = node_codec(lambda: Image, iri=True)
_VERIFICATION = node_codec(lambda: VerificationObject, iri=False)
_KEY = node_codec(lambda: CryptographicKey, iri=True)
_ISSUER = node_codec(lambda: Issuer, iri=True)
_ALIGNMENT = node_codec(lambda: Alignment, iri=False)
_EVIDENCE = node_codec(lambda: Evidence, iri=True)
_REVOKED = node_codec(lambda: RevokedAssertion, iri=True)


@ob2_model("CryptographicKey")
class CryptographicKey(ValidatedNode):
    """A public key document (``sec:Key``); ``owner`` is the Issuer IRI, which lists it in ``publicKey``."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="CryptographicKey")
    id: str = prop("id")
    owner: str = prop("owner")
    public_key_pem: str = prop("publicKeyPem")


@ob2_model("Issuer")
class Issuer(ValidatedNode):
    """An Issuer Profile (``type`` ``Issuer`` or ``Profile``)."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="Issuer")
    id: str = prop("id")
    name: str = prop("name")
    url: str = prop("url")
    email: str = prop("email")
    description: str | None = prop("description", default=None)
    image: str | Image | None = prop("image", _IMAGE, default=None)
    telephone: str | None = prop("telephone", default=None)
    # OB 2.0: "the key(s) an issuer uses to sign Assertions" — retired keys stay listed so old signatures verify
    public_key: tuple[str | CryptographicKey, ...] = prop("publicKey", _KEY, many=True, default=())
    revocation_list: str | None = prop("revocationList", default=None)
    verification: VerificationObject | None = prop("verification", _VERIFICATION, default=None)


@ob2_model("BadgeClass")
class BadgeClass(ValidatedNode):
    """The achievement: name, description, image, criteria and the issuer (IRI or embedded Issuer)."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="BadgeClass")
    id: str = prop("id")
    name: str = prop("name")
    description: str = prop("description")
    image: str | Image = prop("image", _IMAGE)
    criteria: str | Criteria = prop("criteria", node_codec(lambda: Criteria, iri=True))
    issuer: str | Issuer = prop("issuer", _ISSUER)
    alignment: tuple[Alignment, ...] = prop("alignment", _ALIGNMENT, many=True, default=())
    tags: tuple[str, ...] = prop("tags", TEXT, many=True, default=())

    @property
    def issuer_id(self) -> str:
        """The issuer's IRI, whether ``issuer`` is an IRI or an embedded :class:`Issuer`."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id


@ob2_model("Assertion")
class Assertion(ValidatedNode):
    """An awarded badge: who (``recipient``), what (``badge``), when (``issued_on``) and how to verify."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="Assertion")
    id: str = prop("id")
    recipient: IdentityObject = prop("recipient", node_codec(lambda: IdentityObject, iri=False))
    badge: str | BadgeClass = prop("badge", node_codec(lambda: BadgeClass, iri=True))
    verification: VerificationObject = prop("verification", _VERIFICATION)
    issued_on: datetime = prop("issuedOn", DATETIME)
    image: str | Image | None = prop("image", _IMAGE, default=None)
    evidence: tuple[str | Evidence, ...] = prop("evidence", _EVIDENCE, many=True, default=())
    narrative: str | None = prop("narrative", default=None)
    expires: datetime | None = prop("expires", DATETIME, default=None)
    revoked: bool | None = prop("revoked", BOOL, default=None)
    revocation_reason: str | None = prop("revocationReason", default=None)

    @property
    def badge_id(self) -> str:
        """The BadgeClass IRI, whether ``badge`` is an IRI or an embedded :class:`BadgeClass`."""
        return self.badge if isinstance(self.badge, str) else self.badge.id


@ob2_model("RevocationList")
class RevocationList(ValidatedNode):
    """The issuer's list of revoked assertions: IRIs, or :class:`RevokedAssertion` entries with a reason."""

    type: str | tuple[str, ...] = prop("type", STR_OR_LIST, default="RevocationList")
    id: str = prop("id")
    issuer: str | Issuer | None = prop("issuer", _ISSUER, default=None)
    revoked_assertions: tuple[str | RevokedAssertion, ...] = prop(
        "revokedAssertions", _REVOKED, many=True, always=True, default=())

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

DOCUMENT_CLASSES: dict[str, type[ValidatedNode]] = {
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
    mapping = data if isinstance(data, Mapping) else decode_json(data)
    kind = detect_kind(mapping)
    cls = DOCUMENT_CLASSES.get(kind or "")
    if cls is None:
        shown = mapping.get("type", "<missing>")
        raise fail("type", "document_type",
                   f"not an OB 2.0 document type we know: {shown!r} (expected Assertion, BadgeClass, "
                   "Issuer/Profile, CryptographicKey or RevocationList)", parse=True)
    return cls.from_dict(mapping)  # type: ignore[return-value]
