"""openbadges_core: build, sign, bake, unbake and verify Open Badges 2.0 and 3.0.

The verbs, keys, verification types and errors live here; the documents of each spec version live in
:mod:`openbadges_core.ob2` and :mod:`openbadges_core.ob3`. Everything in ``_``-modules is private.
"""

from __future__ import annotations

from types import FunctionType

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
from openbadges_core._net import Fetcher, FetchResponse
from openbadges_core._verify import (
    Check,
    CheckName,
    DocumentCache,
    SafeFetcher,
    VerificationReport,
    VerifyOptions,
    shared_cache,
    verify,
)

__version__ = "0.1.0"

__all__ = [
    "SUPPORTED_ALGORITHMS",
    "AmbiguousPayloadError",
    "BakedPayload",
    "BakingError",
    "BakingLimits",
    "BlockedAddressError",
    "CanonicalizationError",
    "Check",
    "CheckName",
    "CorruptImageError",
    "DocumentCache",
    "FetchError",
    "FetchResponse",
    "FetchTimeoutError",
    "Fetcher",
    "HTTPStatusError",
    "KeyDecryptionError",
    "KeyMaterialError",
    "NoBadgePayloadError",
    "NotAnImageError",
    "OpenBadgesError",
    "ParseError",
    "PayloadTooLargeError",
    "PrivateKey",
    "PublicKey",
    "ResponseTooLargeError",
    "SafeFetcher",
    "SignatureError",
    "Signer",
    "SigningError",
    "StatusListError",
    "TooManyRedirectsError",
    "UnsafeSvgError",
    "UnsupportedAlgorithmError",
    "UpgradeError",
    "ValidationError",
    "ValidationIssue",
    "VerificationError",
    "VerificationReport",
    "VerifyOptions",
    "__version__",
    "bake",
    "bake_png",
    "bake_svg",
    "decode_jws_unverified",
    "generate_key",
    "jwk_thumbprint",
    "load_private_key",
    "load_public_key",
    "shared_cache",
    "sign_assertion",
    "sign_jws",
    "unbake",
    "unbake_png",
    "unbake_svg",
    "verify",
    "verify_jws",
]

# Every public class and function shows this package as its home (reprs, docs, pickles), as httpx does.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, (type, FunctionType)):
        _obj.__module__ = __name__
del _name, _obj
