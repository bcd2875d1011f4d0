"""Fetching infrastructure shared by the verifier and the OB 3.0 key resolvers: the one ``Fetcher``
protocol and what it returns. Neither ``_verify`` nor ``_ob3`` owns it, so neither imports the other."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["DEFAULT_ACCEPT", "DEFAULT_TIMEOUT", "FetchResponse", "Fetcher"]

DEFAULT_ACCEPT = "application/ld+json, application/json;q=0.9"
#: seconds a fetch may take when the caller has no budget of its own (``SafeFetcher`` caps it again).
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """What a fetch returned: the final URL after redirects, status, content type and body."""

    url: str
    status_code: int
    content_type: str
    body: bytes
    redirects: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        """The content type without parameters, lower-cased (``application/ld+json``)."""
        return self.content_type.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not)."""
        return json.loads(self.body)


@runtime_checkable
class Fetcher(Protocol):
    """Anything that can fetch a URL for the verifier and the key resolvers.

    ``fetch`` returns the response whatever its status (the caller judges 404/410/500), follows redirects
    itself and raises :class:`~openbadges_core.FetchError` (or a subclass) when it cannot get a response
    at all. ``timeout`` is always passed: the most time the call may take, in seconds.
    """

    def fetch(self, url: str, *, accept: str, timeout: float) -> FetchResponse:
        ...
