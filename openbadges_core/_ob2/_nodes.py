"""OB 2.0 objects that live inside documents: IdentityObject, VerificationObject, Image, Criteria,
Evidence, Alignment (AlignmentObject) and RevokedAssertion (an entry of a RevocationList)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openbadges_core._ob2._model import BOOL, STR_OR_LIST, TEXT, Node, extra_field, model, prop, shape_field

__all__ = ["IdentityObject", "VerificationObject", "Image", "Criteria", "Evidence", "Alignment",
           "RevokedAssertion"]

_frozen = dataclass(frozen=True, slots=True, kw_only=True)


@model("IdentityObject")
@_frozen
class IdentityObject(Node):
    """The recipient: ``type`` is ``email`` | ``url`` | ``telephone`` | ``id``; build hashed ones with
    :func:`hash_identity`."""

    type: str = prop("type", TEXT, default="email")
    identity: str = prop("identity", required=True)
    hashed: bool = prop("hashed", BOOL, default=False)
    salt: str | None = prop("salt")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()


@model("VerificationObject")
@_frozen
class VerificationObject(Node):
    """How to verify: ``HostedBadge`` (or the alias ``hosted``) or ``SignedBadge`` (``signed``) with the
    key IRI in ``creator``. On an Issuer it is a policy (``starts_with``, ``allowed_origins``) with
    an optional type."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST)
    creator: str | None = prop("creator")
    starts_with: str | tuple[str, ...] | None = prop("startsWith", STR_OR_LIST)
    allowed_origins: str | tuple[str, ...] | None = prop("allowedOrigins", STR_OR_LIST)
    verification_property: str | None = prop("verificationProperty")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()

    @classmethod
    def hosted(cls) -> VerificationObject:
        """``{"type": "HostedBadge"}``."""
        return cls(type="HostedBadge")

    @classmethod
    def signed(cls, creator: str) -> VerificationObject:
        """``{"type": "SignedBadge", "creator": creator}`` (``creator``: the CryptographicKey IRI)."""
        return cls(type="SignedBadge", creator=creator)

    def _types(self) -> tuple[str, ...]:
        t = self.type
        return () if t is None else (t,) if isinstance(t, str) else t

    @property
    def is_signed(self) -> bool:
        """True for ``SignedBadge`` / ``signed`` / the full ``obi:SignedBadge`` IRI."""
        return any(t in _SIGNED for t in self._types())

    @property
    def is_hosted(self) -> bool:
        """True for ``HostedBadge`` / ``hosted`` / the full ``obi:HostedBadge`` IRI."""
        return any(t in _HOSTED for t in self._types())


_SIGNED = frozenset({"SignedBadge", "signed", "obi:SignedBadge", "https://w3id.org/openbadges#SignedBadge"})
_HOSTED = frozenset({"HostedBadge", "hosted", "obi:HostedBadge", "https://w3id.org/openbadges#HostedBadge"})


@model("Image")
@_frozen
class Image(Node):
    """An image object; wherever an image is allowed a plain IRI (or ``data:`` URI) string works too."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST)
    id: str = prop("id", required=True)
    caption: str | None = prop("caption")
    author: str | None = prop("author")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()


@model("Criteria")
@_frozen
class Criteria(Node):
    """What earns the badge: an ``id`` (criteria page IRI) and/or a Markdown ``narrative``."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST)
    id: str | None = prop("id")
    narrative: str | None = prop("narrative")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()


@model("Evidence")
@_frozen
class Evidence(Node):
    """Evidence of the achievement (or use a plain IRI string in ``Assertion.evidence``)."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST)
    id: str | None = prop("id")
    narrative: str | None = prop("narrative")
    name: str | None = prop("name")
    description: str | None = prop("description")
    genre: str | None = prop("genre")
    audience: str | None = prop("audience")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()


@model("AlignmentObject")
@_frozen
class Alignment(Node):
    """An AlignmentObject: the badge aligns with ``target_name`` at ``target_url``."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST)
    target_name: str = prop("targetName", required=True)
    target_url: str = prop("targetUrl", required=True)
    target_description: str | None = prop("targetDescription")
    target_framework: str | None = prop("targetFramework")
    target_code: str | None = prop("targetCode")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()


@model("RevokedAssertion")
@_frozen
class RevokedAssertion(Node):
    """One RevocationList entry given as an object: the assertion ``id`` (or legacy ``uid``) and why."""

    id: str | None = prop("id")
    uid: str | None = prop("uid")
    revocation_reason: str | None = prop("revocationReason")
    extra: Mapping[str, Any] = extra_field()
    _scalar_keys: frozenset[str] = shape_field()
