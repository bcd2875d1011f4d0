"""openbadges_core: build, sign, bake, unbake and verify Open Badges 2.0 and 3.0.

The verbs and types a user reaches for are exported here; everything in ``_``-modules is private.
"""

from __future__ import annotations

# --- baking ---
from openbadges_core._baking import (
    BakedPayload,
    BakingLimits,
    bake,
    bake_png,
    bake_svg,
    unbake,
    unbake_png,
    unbake_svg,
)
from openbadges_core._errors import (
    AmbiguousPayloadError,
    BakingError,
    BlockedAddressError,
    CanonicalizationError,
    CorruptImageError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    KeyDecryptionError,
    KeyMaterialError,
    NoBadgePayloadError,
    NotAnImageError,
    OpenBadgesError,
    ParseError,
    PayloadTooLargeError,
    ResponseTooLargeError,
    SignatureError,
    SigningError,
    StatusListError,
    TooManyRedirectsError,
    UnsafeSvgError,
    UnsupportedAlgorithmError,
    UpgradeError,
    ValidationError,
    ValidationIssue,
    VerificationError,
)

# --- OB 2.0 documents, identity, validation (exports added by that module's owner) ---
from openbadges_core._identity import hash_identity, identity_matches

# --- keys and signing ---
from openbadges_core._jws import decode_jws_unverified, sign_assertion, sign_jws, verify_jws
from openbadges_core._keyio import load_private_key, load_public_key
from openbadges_core._keys import (
    SUPPORTED_ALGORITHMS,
    PrivateKey,
    PublicKey,
    Signer,
    generate_key,
    jwk_thumbprint,
)
from openbadges_core._ob2 import (
    OB2_CONTEXT,
    Alignment,
    Assertion,
    BadgeClass,
    Criteria,
    CryptographicKey,
    Evidence,
    IdentityObject,
    Image,
    Issuer,
    RevocationList,
    RevokedAssertion,
    VerificationObject,
    parse_document,
)
from openbadges_core._ob2._validation import document_issues, validate_document

# --- Open Badges 3.0 ---
from openbadges_core._ob3._canon import CanonicalizationLimits, canonicalize
from openbadges_core._ob3._contexts import document_loader
from openbadges_core._ob3._dataintegrity import VerifiedProof, sign_data_integrity, verify_data_integrity
from openbadges_core._ob3._documents import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    OpenBadgeCredential,
    Profile,
    hash_identity_object,
)
from openbadges_core._ob3._schema import credential_issues, validate_credential
from openbadges_core._ob3._status import BitstringStatusList, status_list_credential, status_list_entry
from openbadges_core._ob3._vcjwt import VcJwtResult, sign_vc_jwt, verify_vc_jwt
from openbadges_core._upgrade import upgrade_assertion

# --- verification ---
from openbadges_core._verify import (
    Check,
    DocumentCache,
    Fetcher,
    FetchResponse,
    SafeFetcher,
    VerificationReport,
    VerifyOptions,
    shared_cache,
    verify,
)

__version__ = "0.1.0"

__all__ = [
    "AmbiguousPayloadError",
    "BakingError",
    "BlockedAddressError",
    "CanonicalizationError",
    "CorruptImageError",
    "FetchError",
    "FetchTimeoutError",
    "HTTPStatusError",
    "KeyDecryptionError",
    "KeyMaterialError",
    "NoBadgePayloadError",
    "NotAnImageError",
    "OpenBadgesError",
    "ParseError",
    "PayloadTooLargeError",
    "ResponseTooLargeError",
    "SignatureError",
    "SigningError",
    "TooManyRedirectsError",
    "UnsafeSvgError",
    "UnsupportedAlgorithmError",
    "UpgradeError",
    "ValidationError",
    "ValidationIssue",
    "VerificationError",
    "__version__",
]
# __all__ additions per area go below, one ``__all__ += [...]`` line per area.
__all__ += ["Check", "DocumentCache", "FetchResponse", "Fetcher", "SafeFetcher", "VerificationReport",
            "VerifyOptions", "shared_cache", "verify"]
__all__ += ["SUPPORTED_ALGORITHMS", "PrivateKey", "PublicKey", "Signer", "decode_jws_unverified", "generate_key",
            "jwk_thumbprint", "load_private_key", "load_public_key", "sign_assertion", "sign_jws", "verify_jws"]
__all__ += ["BakedPayload", "BakingLimits", "bake", "bake_png", "bake_svg", "unbake", "unbake_png", "unbake_svg"]
__all__ += ["Achievement", "AchievementCredential", "AchievementSubject", "CanonicalizationLimits", "OpenBadgeCredential",
            "Profile", "VcJwtResult", "VerifiedProof", "canonicalize", "credential_issues", "document_loader",
            "hash_identity_object", "sign_data_integrity", "sign_vc_jwt", "validate_credential",
            "verify_data_integrity", "verify_vc_jwt"]  # Open Badges 3.0
__all__ += ["OB2_CONTEXT", "Alignment", "Assertion", "BadgeClass", "Criteria", "CryptographicKey", "Evidence",
            "IdentityObject", "Image", "Issuer", "RevocationList", "RevokedAssertion", "VerificationObject",
            "document_issues", "hash_identity", "identity_matches", "parse_document", "validate_document"]
__all__ += ["upgrade_assertion"]  # Open Badges 2.0 -> 3.0 upgrade
__all__ += ["BitstringStatusList", "StatusListError", "status_list_credential", "status_list_entry"]  # status lists
