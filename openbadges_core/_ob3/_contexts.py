"""The JSON-LD contexts we bundle, and a document loader that never touches the network.

Every context an Open Badges 3.0 credential may name is shipped in ``schemas/contexts/``. The loader
serves exactly those; any other URL raises :class:`CanonicalizationError` (fail closed), so a credential
cannot make the library fetch anything, and a context cannot change under a signature.

Processed contexts are cached in a private resolver cache (never pyld's process-wide one, which other
loaders share), so canonicalizing many credentials pays for context processing once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from pyld.context_resolver import ContextResolver

from openbadges_core._errors import CanonicalizationError
from openbadges_core._resources import data_path, load_json

__all__ = [
    "BUNDLED_CONTEXTS",
    "OB3_CONTEXT",
    "VC1_CONTEXT",
    "VC2_CONTEXT",
    "context_resolver",
    "document_loader",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

_OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/"

#: URL -> file name in ``schemas/contexts/``. Exact URLs only: no redirects, no guessing.
BUNDLED_CONTEXTS: Mapping[str, str] = {
    VC2_CONTEXT: "credentials-v2.json",
    VC1_CONTEXT: "credentials-v1.json",
    OB3_CONTEXT: "ob-v3p0-3.0.3.json",
    _OB3 + "context-3.0.2.json": "ob-v3p0-3.0.2.json",
    _OB3 + "context-3.0.1.json": "ob-v3p0-3.0.1.json",
    _OB3 + "context.json": "ob-v3p0-legacy.json",
    _OB3 + "extensions.json": "ob-v3p0-extensions.json",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.json",
    "https://w3id.org/security/suites/ed25519-2020/v1": "ed25519-2020-v1.json",
    "https://www.w3.org/ns/did/v1": "did-v1.json",
    # Owned by the OB 2.0 documents area; served when that file is present.
    "https://w3id.org/openbadges/v2": "openbadges_v2.json",
}


@cache
def _context_document(url: str) -> Any:
    name = BUNDLED_CONTEXTS.get(url)
    if name is None or not data_path("contexts", name).is_file():
        raise CanonicalizationError(
            f"JSON-LD context {url!r} is not bundled; contexts are never fetched from the network",
            code="unknown_context",
        )
    return load_json("contexts", name)


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld-compatible loader serving only the bundled contexts; unknown URLs raise.

    Raises:
        CanonicalizationError: ``url`` is not one of :data:`BUNDLED_CONTEXTS` (code ``unknown_context``).
    """
    document = _context_document(url)
    return {
        "contextUrl": None,
        "documentUrl": url,
        # pyld may annotate what it is handed; keep the cached original pristine.
        "document": copy.deepcopy(document),
        # "static" lets the resolver cache the processed context across operations.
        "tag": "static",
    }


# Private to this module: pyld's module-level cache is shared with every other loader in the process.
class BoundedCache(dict[str, Any]):
    """Insertion-ordered cache that forgets its oldest entries beyond ``maxsize`` entries or, with
    ``max_bytes``, beyond that many bytes as ``cost(key, value)`` estimates them (inline contexts of
    hostile documents must not grow it without bound, in count or in size)."""

    def __init__(self, maxsize: int, *, max_bytes: int | None = None,
                 cost: Callable[[str, Any], int] | None = None) -> None:
        super().__init__()
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self._cost = cost or (lambda key, value: len(key))
        self._costs: dict[str, int] = {}
        #: the estimated bytes held (sum of ``cost`` over the entries)
        self.bytes = 0

    def __setitem__(self, key: str, value: Any) -> None:
        cost = self._cost(key, value) if self.max_bytes is not None else 0
        if self.max_bytes is not None and cost > self.max_bytes:
            return  # never worth evicting everything for one entry
        if key in self:
            del self[key]
        while self and (len(self) >= self.maxsize
                        or (self.max_bytes is not None and self.bytes + cost > self.max_bytes)):
            del self[next(iter(self))]
        super().__setitem__(key, value)
        self._costs[key] = cost
        self.bytes += cost

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self.bytes -= self._costs.pop(key, 0)

    def clear(self) -> None:
        super().clear()
        self._costs.clear()
        self.bytes = 0


class _UrlContextCache(BoundedCache):
    """The resolver's shared cache, for contexts named by URL (the bundled ones) only: an inline
    context (keyed by its JSON) comes from the document being processed and is not kept past it."""

    def __setitem__(self, key: str, value: Any) -> None:
        if key in BUNDLED_CONTEXTS:
            super().__setitem__(key, value)


_RESOLVED_CACHE = _UrlContextCache(maxsize=128)


def context_resolver() -> ContextResolver:
    """A fresh resolver (per operation) backed by our private cache of processed contexts."""
    return ContextResolver(_RESOLVED_CACHE, document_loader)
