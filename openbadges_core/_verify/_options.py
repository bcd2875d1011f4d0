"""What a verification may do: network policy, limits, clock, preloaded documents."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from openbadges_core._keys import PublicKey
from openbadges_core._net import Fetcher
from openbadges_core._verify._fetch import DocumentCache, SafeFetcher

__all__ = ["VerifyOptions", "shared_cache"]


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    """Options of :func:`~openbadges_core.verify`; the defaults are the safe choice.

    - ``fetcher``: any :class:`Fetcher`; default a shared :class:`SafeFetcher` built from the fields below.
    - ``allow_private_network``: let the default fetcher reach loopback/private/link-local addresses.
    - ``timeout``: seconds per request; ``total_timeout``: seconds for all fetches of one verification.
    - ``max_response_bytes``, ``max_redirects``: per request; ``max_documents``: fetches per verification.
    - ``clock_skew``: seconds of tolerance for ``issuedOn`` in the future; ``now``: the verification time.
    - ``documents``: documents by URL (keys, issuers, badge classes, revocation lists) used instead of
      fetching them — offline verification of signed badges.
    - ``cache``: the cache of linked documents (default: one shared process-wide); ``use_cache=False``
      fetches everything afresh.
    - ``trusted_keys``: issuer public keys pinned by the caller (OB 3.0): a credential signed by one of
      them passes ``issuer_key`` even when the issuer publishes no key (e.g. a VC-JWT with only a header jwk).
    - ``allow_http_did_web``: development switch: a ``did:web`` on a loopback host (``did:web:localhost%3A8000``)
      is resolved over http. Off by default (did:web means https); loopback fetching also needs
      ``allow_private_network`` (or a custom fetcher).
    """

    fetcher: Fetcher | None = None
    allow_private_network: bool = False
    timeout: float = 10.0
    total_timeout: float = 30.0
    max_response_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 5
    max_documents: int = 12
    clock_skew: float = 300.0
    now: datetime | None = None
    documents: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cache: DocumentCache | None = None
    use_cache: bool = True
    trusted_keys: Sequence[PublicKey] = ()
    allow_http_did_web: bool = False

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.total_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_documents < 1 or self.max_response_bytes < 1 or self.max_redirects < 0:
            raise ValueError("max_documents and max_response_bytes must be >= 1, max_redirects >= 0")
        if self.clock_skew < 0:
            raise ValueError("clock_skew must be >= 0")

    def resolved_fetcher(self) -> tuple[Fetcher, str]:
        """The fetcher to use and the cache policy key that goes with it."""
        if self.fetcher is not None:
            return self.fetcher, f"custom:{id(self.fetcher)}"
        key = (self.allow_private_network, self.timeout, self.max_response_bytes, self.max_redirects)
        fetcher = _FETCHERS.get(key)
        if fetcher is None:
            with _LOCK:
                fetcher = _FETCHERS.get(key)
                if fetcher is None:
                    fetcher = SafeFetcher(allow_private_network=self.allow_private_network,
                                          timeout=self.timeout, max_response_bytes=self.max_response_bytes,
                                          max_redirects=self.max_redirects)
                    _FETCHERS[key] = fetcher
        return fetcher, "private" if self.allow_private_network else "public"

    def resolved_cache(self) -> DocumentCache | None:
        if not self.use_cache:
            return None
        return self.cache if self.cache is not None else _SHARED_CACHE


_LOCK = threading.Lock()
_FETCHERS: dict[tuple[bool, float, int, int], SafeFetcher] = {}
_SHARED_CACHE = DocumentCache(ttl=300.0)


def shared_cache() -> DocumentCache:
    """The process-wide cache of linked documents used when ``VerifyOptions.cache`` is not set."""
    return _SHARED_CACHE
