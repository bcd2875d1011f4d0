"""Open Badges 2.0: the documents as frozen, typed objects, their validation and recipient identities.

```python
from openbadges_core import ob2

badge = ob2.parse_document(json_text)        # Assertion, BadgeClass, Issuer, CryptographicKey, RevocationList
issues = ob2.document_issues(mapping)         # [] when valid; validate_document raises instead
```

Signing (:func:`~openbadges_core.sign_assertion`), baking and verification are verbs of the package itself.
"""

from __future__ import annotations

from openbadges_core import _exports
from openbadges_core._identity import IDENTITY_TYPES, hash_identity, identity_matches
from openbadges_core._ob2 import _documents, _nodes
from openbadges_core._ob2._documents import *  # listed once: _documents.__all__
from openbadges_core._ob2._model import OB2_CONTEXT, format_datetime, parse_datetime
from openbadges_core._ob2._nodes import *  # listed once: _nodes.__all__
from openbadges_core._ob2._validation import RULES, document_issues, schema_path, validate_document

__all__ = [
    "IDENTITY_TYPES",
    "OB2_CONTEXT",
    "RULES",
    "document_issues",
    "format_datetime",
    "hash_identity",
    "identity_matches",
    "parse_datetime",
    "schema_path",
    "validate_document",
]
__all__ += _documents.__all__
__all__ += _nodes.__all__

_exports.adopt_exports(globals())
