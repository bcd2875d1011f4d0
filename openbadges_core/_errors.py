"""The one exception hierarchy of :mod:`openbadges_core`.

::

    OpenBadgesError                      code
    ├── ValidationError (ValueError)     validation_error     .issues: list[ValidationIssue]
    │   └── ParseError                   parse_error          not JSON / not a known document
    ├── KeyMaterialError (ValueError)    key_error
    │   ├── UnsupportedAlgorithmError    unsupported_algorithm
    │   └── KeyDecryptionError           key_decryption_failed   wrong or missing passphrase
    ├── SigningError                     signing_error
    ├── SignatureError (ValueError)      invalid_signature    a JWS/JWT/proof that does not verify
    ├── BakingError (ValueError)         baking_error
    │   ├── NotAnImageError              not_an_image
    │   ├── CorruptImageError            corrupt_png | corrupt_svg
    │   ├── NoBadgePayloadError (LookupError) no_badge_payload
    │   ├── AmbiguousPayloadError        ambiguous_payload    two different baked payloads
    │   ├── PayloadTooLargeError         payload_too_large
    │   └── UnsafeSvgError               unsafe_svg
    ├── FetchError (OSError)             fetch_error
    │   ├── BlockedAddressError          blocked_address      SSRF protection refused the target
    │   ├── FetchTimeoutError (TimeoutError) fetch_timeout
    │   ├── ResponseTooLargeError        response_too_large
    │   ├── TooManyRedirectsError        too_many_redirects
    │   └── HTTPStatusError              http_status          .status_code
    ├── VerificationError                verification_error   input that cannot be verified at all
    ├── CanonicalizationError (ValueError) canonicalization_error  JSON-LD / RDF problems
    ├── UpgradeError (ValueError)        upgrade_error        an OB 2.0 badge that cannot become OB 3.0
    └── StatusListError (ValueError)     status_list_error    a malformed, oversized or too small status list

Every error has a stable machine-readable ``code`` (class attribute, may be overridden per instance)
and a human ``message``. Catch the level you care about; each error also subclasses the builtin it
refines, so ``except ValueError`` keeps working for callers that only know builtins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    "StatusListError",
    "TooManyRedirectsError",
    "UnsafeSvgError",
    "UnsupportedAlgorithmError",
    "UpgradeError",
    "ValidationError",
    "ValidationIssue",
    "VerificationError",
]


class OpenBadgesError(Exception):
    """Root of every error raised by :mod:`openbadges_core`."""

    code: str = "openbadges_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable description: ``{"code": ..., "message": ...}``."""
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One broken rule: where (a JSON path such as ``recipient.identity``), which rule, and why."""

    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.path or "(document)"
        return f"{where}: {self.message} [{self.rule}]"

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "rule": self.rule, "message": self.message}


class ValidationError(OpenBadgesError, ValueError):
    """A document breaks one or more rules; ``issues`` lists every one of them."""

    code = "validation_error"

    def __init__(
        self, message: str, issues: list[ValidationIssue] | None = None, *, code: str | None = None
    ) -> None:
        self.issues: list[ValidationIssue] = list(issues or [])
        if self.issues and message == "":
            message = "; ".join(str(i) for i in self.issues)
        super().__init__(message, code=code)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["issues"] = [issue.to_dict() for issue in self.issues]
        return data


class ParseError(ValidationError):
    """Input is not JSON, or not a document of a known type."""

    code = "parse_error"


class KeyMaterialError(OpenBadgesError, ValueError):
    """A key cannot be loaded, generated or used as asked."""

    code = "key_error"


class UnsupportedAlgorithmError(KeyMaterialError):
    """The algorithm or key type is not one we support (or is refused, such as ``none``/HMAC)."""

    code = "unsupported_algorithm"


class KeyDecryptionError(KeyMaterialError):
    """An encrypted private key could not be decrypted: the passphrase is wrong or missing."""

    code = "key_decryption_failed"


class SigningError(OpenBadgesError):
    """Producing a signature failed (including a failing signing callback)."""

    code = "signing_error"


class SignatureError(OpenBadgesError, ValueError):
    """A JWS, JWT or Data Integrity proof is malformed or its signature does not verify."""

    code = "invalid_signature"


class BakingError(OpenBadgesError, ValueError):
    """Baking or unbaking an image failed."""

    code = "baking_error"


class NotAnImageError(BakingError):
    """The bytes are neither a PNG nor an SVG."""

    code = "not_an_image"


class CorruptImageError(BakingError):
    """A PNG or SVG that is malformed (bad CRC, truncated chunk, broken XML ...)."""

    code = "corrupt_png"


class NoBadgePayloadError(BakingError, LookupError):
    """The image is fine but carries no Open Badges payload."""

    code = "no_badge_payload"


class AmbiguousPayloadError(BakingError):
    """The image carries two different payloads of the same kind."""

    code = "ambiguous_payload"


class PayloadTooLargeError(BakingError):
    """An image or payload breaks a configured size limit."""

    code = "payload_too_large"


class UnsafeSvgError(BakingError):
    """An SVG uses entities, DTDs, external references or nesting beyond the limit."""

    code = "unsafe_svg"


class FetchError(OpenBadgesError, OSError):
    """Fetching a document over HTTP failed."""

    code = "fetch_error"


class BlockedAddressError(FetchError):
    """The URL resolves to an address the fetcher refuses (private network, loopback, ...)."""

    code = "blocked_address"


class FetchTimeoutError(FetchError, TimeoutError):
    """A request or the whole verification ran out of time."""

    code = "fetch_timeout"


class ResponseTooLargeError(FetchError):
    """A response body exceeded the configured maximum size."""

    code = "response_too_large"


class TooManyRedirectsError(FetchError):
    """Redirects exceeded the configured maximum, or looped."""

    code = "too_many_redirects"


class HTTPStatusError(FetchError):
    """The server answered with a status we do not accept."""

    code = "http_status"

    def __init__(self, message: str, *, status_code: int, url: str = "", code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code
        self.url = url


class VerificationError(OpenBadgesError):
    """The input cannot be verified at all (unreadable, not a badge); a failed check is not an error."""

    code = "verification_error"


class CanonicalizationError(OpenBadgesError, ValueError):
    """JSON-LD expansion or RDF canonicalization failed, or a term is not defined by the context."""

    code = "canonicalization_error"


class UpgradeError(OpenBadgesError, ValueError):
    """An OB 2.0 assertion cannot be upgraded to OB 3.0 (revoked, badge class or issuer unavailable ...)."""

    code = "upgrade_error"


class StatusListError(OpenBadgesError, ValueError):
    """A Bitstring Status List that cannot be used: malformed, too large when inflated, too small, or an index
    outside it."""

    code = "status_list_error"
