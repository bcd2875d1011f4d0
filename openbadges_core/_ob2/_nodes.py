"""OB 2.0 objects that live inside documents: IdentityObject, VerificationObject, Image, Criteria,
Evidence, Alignment (AlignmentObject) and RevokedAssertion (an entry of a RevocationList)."""

from __future__ import annotations

from openbadges_core._ob2._base import ValidatedNode
from openbadges_core._ob2._model import BOOL, STR_OR_LIST, TEXT, ob2_model, prop

__all__ = [
    "Alignment",
    "Criteria",
    "Evidence",
    "IdentityObject",
    "Image",
    "RevokedAssertion",
    "VerificationObject",
]



@ob2_model("IdentityObject")
class IdentityObject(ValidatedNode):
    """The recipient: ``type`` is ``email`` | ``url`` | ``telephone`` | ``id``; build hashed ones with
    :func:`hash_identity`."""

    type: str = prop("type", TEXT, default="email")
    identity: str = prop("identity")
    hashed: bool = prop("hashed", BOOL, default=False)
    salt: str | None = prop("salt", default=None)


@ob2_model("VerificationObject")
class VerificationObject(ValidatedNode):
    """How to verify: ``HostedBadge`` (or the alias ``hosted``) or ``SignedBadge`` (``signed``) with the
    key IRI in ``creator``. On an Issuer it is a policy (``starts_with``, ``allowed_origins``) with
    an optional type."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST, default=None)
    creator: str | None = prop("creator", default=None)
    starts_with: str | tuple[str, ...] | None = prop("startsWith", STR_OR_LIST, default=None)
    allowed_origins: str | tuple[str, ...] | None = prop("allowedOrigins", STR_OR_LIST, default=None)
    verification_property: str | None = prop("verificationProperty", default=None)

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


@ob2_model("Image")
class Image(ValidatedNode):
    """An image object; wherever an image is allowed a plain IRI (or ``data:`` URI) string works too."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST, default=None)
    id: str = prop("id")
    caption: str | None = prop("caption", default=None)
    author: str | None = prop("author", default=None)


@ob2_model("Criteria")
class Criteria(ValidatedNode):
    """What earns the badge: an ``id`` (criteria page IRI) and/or a Markdown ``narrative``."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST, default=None)
    id: str | None = prop("id", default=None)
    narrative: str | None = prop("narrative", default=None)


@ob2_model("Evidence")
class Evidence(ValidatedNode):
    """Evidence of the achievement (or use a plain IRI string in ``Assertion.evidence``)."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST, default=None)
    id: str | None = prop("id", default=None)
    narrative: str | None = prop("narrative", default=None)
    name: str | None = prop("name", default=None)
    description: str | None = prop("description", default=None)
    genre: str | None = prop("genre", default=None)
    audience: str | None = prop("audience", default=None)


@ob2_model("AlignmentObject")
class Alignment(ValidatedNode):
    """An AlignmentObject: the badge aligns with ``target_name`` at ``target_url``."""

    type: str | tuple[str, ...] | None = prop("type", STR_OR_LIST, default=None)
    target_name: str = prop("targetName")
    target_url: str = prop("targetUrl")
    target_description: str | None = prop("targetDescription", default=None)
    target_framework: str | None = prop("targetFramework", default=None)
    target_code: str | None = prop("targetCode", default=None)


@ob2_model("RevokedAssertion")
class RevokedAssertion(ValidatedNode):
    """One RevocationList entry given as an object: the assertion ``id`` (or legacy ``uid``) and why."""

    id: str | None = prop("id", default=None)
    uid: str | None = prop("uid", default=None)
    revocation_reason: str | None = prop("revocationReason", default=None)
