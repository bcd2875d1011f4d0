"""The assertion endpoints' bodies (parsed into these structs by :func:`hosting.lib.convert.convert`, then
checked by :mod:`.inputs`) and their OpenAPI shapes."""

from __future__ import annotations

from typing import Literal

import msgspec

from hosting.api.openapi import Assertion as AssertionShape
from hosting.api.openapi import EvidenceItem, changed, envelope

__all__ = [
    "AssertionChanged",
    "AssertionEnvelope",
    "AssertionInput",
    "AssertionReplaced",
    "BatchInput",
    "BatchIssued",
    "BatchOptions",
    "RecipientInput",
    "ReplaceInput",
    "RevokeInput",
    "WithdrawInput",
]

class RecipientInput(msgspec.Struct, forbid_unknown_fields=True):
    identity: str
    type: Literal["email", "url", "telephone"] = "email"
    hashed: bool = True


class AssertionInput(msgspec.Struct, forbid_unknown_fields=True):
    """One assertion to issue: ``recipient`` (an email, or an object) or ``recipient_email`` is required.
    ``acceptance``: ``issuer`` (accepted at once) or ``earner`` (pending until the earner accepts through
    ``acceptUrl``); default: the badge class's ``acceptance``. ``claimCode``: a claim code of this badge class,
    consumed like a claim (410 when used up or expired) and recorded on the assertion."""

    recipient: str | RecipientInput | None = None
    recipient_email: str | None = None
    recipient_name: str | None = None
    issued_to_first_name: str | None = None
    issued_to_last_name: str | None = None
    issuedOn: str | None = None
    issued_at: str | None = None
    expires: str | None = None
    expires_at: str | None = None
    narrative: str | None = None
    evidence: list[EvidenceItem] | EvidenceItem | None = None
    issuer_earner_id: str | None = None
    slug: str | None = None
    verification: Literal["hosted", "signed"] | None = None
    allowDuplicateAwards: bool | None = None
    notify: bool | None = None
    locale: str | None = None
    format: Literal["ob2", "ob3"] | None = None
    proof: Literal["di", "jwt"] | None = None
    acceptance: Literal["issuer", "earner"] | None = None
    claimCode: str | None = None


class BatchOptions(msgspec.Struct, forbid_unknown_fields=True):
    """The top level of a batch but its items: defaults for every item."""

    notify: bool | None = None
    allowDuplicateAwards: bool | None = None
    verification: Literal["hosted", "signed"] | None = None
    format: Literal["ob2", "ob3"] | None = None
    proof: Literal["di", "jwt"] | None = None
    acceptance: Literal["issuer", "earner"] | None = None


class BatchInput(BatchOptions, forbid_unknown_fields=True, kw_only=True):
    assertions: list[AssertionInput]


class ReplaceInput(AssertionInput, forbid_unknown_fields=True):
    badge: str | None = None


class RevokeInput(msgspec.Struct, forbid_unknown_fields=True):
    reason: str  # 1-1000 characters (checked by the controller)
    notify: bool | None = None


class WithdrawInput(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None
    notify: bool | None = None


class BatchCount(msgspec.Struct):
    count: int


class BatchIssued(msgspec.Struct):
    status: str
    assertions: list[AssertionShape]
    metadata: BatchCount


class AssertionReplaced(msgspec.Struct):
    status: str
    assertion: AssertionShape
    replaced: AssertionShape


AssertionChanged = changed("assertion", AssertionShape)
AssertionEnvelope = envelope("assertion", AssertionShape)
