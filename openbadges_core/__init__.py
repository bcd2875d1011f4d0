"""openbadges_core: build, sign, bake, unbake and verify Open Badges 2.0 and 3.0.

The verbs, keys, verification types and errors live here; the documents of each spec version live in
:mod:`openbadges_core.ob2` and :mod:`openbadges_core.ob3`. Everything in ``_``-modules is private.
"""

from __future__ import annotations

from openbadges_core import _errors, _exports
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
from openbadges_core._errors import *  # the error classes, listed once: _errors.__all__
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
    "BakedPayload",
    "BakingLimits",
    "Check",
    "CheckName",
    "DocumentCache",
    "FetchResponse",
    "Fetcher",
    "PrivateKey",
    "PublicKey",
    "SafeFetcher",
    "Signer",
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
__all__ += _errors.__all__

_exports.adopt_exports(globals())
