"""Open Badges 2.0: the documents as frozen, typed objects, their validation and recipient identities.

```python
from openbadges_core import ob2

badge = ob2.parse_document(json_text)        # Assertion, BadgeClass, Issuer, CryptographicKey, RevocationList
issues = ob2.document_issues(mapping)         # [] when valid; validate_document raises instead
```

Signing (:func:`~openbadges_core.sign_assertion`), baking and verification are verbs of the package itself.
"""

from __future__ import annotations

from types import FunctionType

from openbadges_core._identity import IDENTITY_TYPES, hash_identity, identity_matches
from openbadges_core._ob2 import (
    OB2_CONTEXT,
    Alignment,
    Assertion,
    BadgeClass,
    Criteria,
    CryptographicKey,
    Document,
    Evidence,
    IdentityObject,
    Image,
    Issuer,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
    format_datetime,
    parse_datetime,
    parse_document,
)
from openbadges_core._ob2._validation import RULES, document_issues, schema_path, validate_document

__all__ = [
    "IDENTITY_TYPES",
    "OB2_CONTEXT",
    "RULES",
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
    "document_issues",
    "format_datetime",
    "hash_identity",
    "identity_matches",
    "parse_datetime",
    "parse_document",
    "schema_path",
    "validate_document",
]

# Every public class and function shows this module as its home (reprs, docs, pickles), as httpx does.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, (type, FunctionType)):
        _obj.__module__ = __name__
del _name, _obj
