"""Open Badges 2.0 documents as frozen, typed objects (compact JSON-LD in and out)."""

from openbadges_core._ob2._documents import (
    Assertion,
    BadgeClass,
    CryptographicKey,
    Document,
    Issuer,
    RevocationList,
    parse_document,
)
from openbadges_core._ob2._model import OB2_CONTEXT, format_datetime, parse_datetime
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
    "OB2_CONTEXT",
    "Alignment",
    "Assertion",
    "BadgeClass",
    "Criteria",
    "CryptographicKey",
    "Document",
    "Evidence",
    "IdentityObject",
    "Image",
    "Issuer",
    "RevocationList",
    "RevokedAssertion",
    "VerificationObject",
    "format_datetime",
    "parse_datetime",
    "parse_document",
]
