"""The domain errors the store, the services and the controllers raise. No HTTP here: the app maps each class to a
status and a stable ``code`` in one place (:mod:`hosting.app.errors`).

::

    HostingError                 message + extra fields of the error body (e.g. ``details``)
    ├── InvalidInput             the request's data is malformed or out of range (one or more fields)
    │   └── TooLarge             the request is over a size or count cap (body bytes, form fields, parts)
    ├── NotAuthenticated         no, or no valid, credentials
    ├── NotPermitted             the caller may not do this (missing scope or role)
    ├── NotFound                 no such resource (or not visible to the caller)
    ├── Gone                     the resource existed and is used up or expired (a used accept link, claim code)
    ├── Conflict                 the request clashes with the stored state (taken slug, rules, archived …)
    ├── Refused                  well-formed, but refused as a whole (a batch whose awards the rules refuse)
    ├── TooManyRequests          over a rate limit; ``retry_after`` seconds until it may succeed
    └── Unavailable              a shared resource is busy; retrying may succeed
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Conflict",
    "Gone",
    "HostingError",
    "InvalidInput",
    "NotAuthenticated",
    "NotFound",
    "NotPermitted",
    "Refused",
    "TooLarge",
    "TooManyRequests",
    "Unavailable",
]


class HostingError(Exception):
    """Base of the domain errors; ``extra`` holds further fields of the error body (``details`` …)."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class InvalidInput(HostingError):
    """The input is malformed or out of range; ``details: [{field, message, value}]`` says where."""


class TooLarge(InvalidInput):
    """The request is over one of the caps (form fields, multipart parts, JSON keys, bytes)."""


class NotAuthenticated(HostingError):
    """No credentials, or credentials that are invalid, expired or revoked."""


class NotPermitted(HostingError):
    """The caller is known but may not do this."""


class NotFound(HostingError, LookupError):
    """No such resource (or one the caller may not see)."""


class Gone(HostingError):
    """The resource existed but is no longer usable (a used or expired link or code)."""


class TooManyRequests(HostingError):
    """Over a rate limit; ``retry_after``: whole seconds until the next attempt may pass."""

    def __init__(self, message: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.retry_after = max(1, retry_after)


class Conflict(HostingError):
    """The request clashes with the stored state."""


class Refused(HostingError):
    """A well-formed request refused as a whole."""


class Unavailable(HostingError):
    """A shared resource (the database's write lock) is busy; the same request may succeed later."""
