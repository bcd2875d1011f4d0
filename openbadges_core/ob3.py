"""Open Badges 3.0: credentials as typed objects, schema validation, status lists, Data Integrity and
VC-JWT proofs, ``did:key``, the bundled JSON-LD contexts and canonicalization, and the 2.0 → 3.0 upgrade.

```python
from openbadges_core import generate_key, ob3

key = generate_key("EdDSA")
credential = ob3.OpenBadgeCredential(...)                     # ob3.Achievement, ob3.Profile, ob3.Image ...
signed = ob3.sign_data_integrity(credential.to_dict(), key, verification_method=...)
```

Verification of a credential (with its status, issuer key and endorsements) is
:func:`openbadges_core.verify`.
"""

from __future__ import annotations

from openbadges_core import _exports
from openbadges_core._ob3 import _documents
from openbadges_core._ob3._canon import CanonicalizationLimits, canonicalize
from openbadges_core._ob3._contexts import (
    BUNDLED_CONTEXTS,
    OB3_CONTEXT,
    VC1_CONTEXT,
    VC2_CONTEXT,
    document_loader,
)
from openbadges_core._ob3._dataintegrity import VerifiedProof, sign_data_integrity, verify_data_integrity
from openbadges_core._ob3._didkeys import did_key
from openbadges_core._ob3._documents import *  # listed once: _documents.__all__
from openbadges_core._ob3._schema import credential_issues, validate_credential
from openbadges_core._ob3._status import (
    STATUS_PURPOSES,
    BitstringStatusList,
    status_list_credential,
    status_list_entry,
)
from openbadges_core._ob3._vcjwt import VcJwtResult, sign_vc_jwt, verify_vc_jwt
from openbadges_core._upgrade import upgrade_assertion

__all__ = [
    "BUNDLED_CONTEXTS",
    "OB3_CONTEXT",
    "STATUS_PURPOSES",
    "VC1_CONTEXT",
    "VC2_CONTEXT",
    "BitstringStatusList",
    "CanonicalizationLimits",
    "VcJwtResult",
    "VerifiedProof",
    "canonicalize",
    "credential_issues",
    "did_key",
    "document_loader",
    "sign_data_integrity",
    "sign_vc_jwt",
    "status_list_credential",
    "status_list_entry",
    "upgrade_assertion",
    "validate_credential",
    "verify_data_integrity",
    "verify_vc_jwt",
]
__all__ += _documents.__all__

_exports.adopt_exports(globals())
