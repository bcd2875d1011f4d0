"""RDF Dataset Canonicalization (RDFC-1.0, a.k.a. URDNA2015) of JSON-LD documents, strictly.

Strict means: only bundled contexts (see :mod:`._contexts`), every property must be defined by the
context (a JSON-LD processor silently drops undefined terms, which would then escape the signature),
every ``@type``/``@id`` must be an absolute IRI or a blank node, and input size, ``@context`` entries,
blank nodes and RDFC-1.0 work are capped — and bounded by a deadline — so a hostile document cannot
make canonicalization explode.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.identifier_issuer import IdentifierIssuer

from openbadges_core._errors import CanonicalizationError, OpenBadgesError
from openbadges_core._ob3._contexts import BoundedCache, context_resolver, document_loader

__all__ = ["CanonicalizationLimits", "canonicalize", "expand"]


@dataclass(frozen=True, slots=True)
class CanonicalizationLimits:
    """Caps applied before and during RDF work: serialized JSON size, ``@context`` entries, node
    objects, blank nodes, RDFC-1.0 work, and an optional deadline."""

    max_document_bytes: int = 1024 * 1024
    max_nodes: int = 10_000
    max_blank_nodes: int = 256
    #: calls of RDFC-1.0's "hash N-degree quads" step (the part that explodes on poison graphs);
    #: ordinary credentials need none or a handful.
    max_n_degree_hashes: int = 2_000
    #: permutations of same-hash blank nodes RDFC-1.0 may try, all calls together (each one copies
    #: an identifier issuer); the sum of ``n!`` over the groups it meets is charged up front.
    max_permutations: int = 20_000
    #: entries of one ``@context`` (each costs milliseconds to process), ``@context`` entries in the
    #: whole document (embedded endorsements have their own), and the serialized size of all inline
    #: (object) contexts; a ``@context`` naming one context twice is refused.
    max_contexts: int = 16
    max_total_contexts: int = 256
    max_inline_context_bytes: int = 64 * 1024
    #: a ``time.monotonic()`` value by which the work must be done (the verifier's deadline)
    deadline: float | None = None


_DEFAULT_LIMITS = CanonicalizationLimits()


# (active context uuid, local context key, flags) -> processed active context. pyld caches processed
# contexts per active context, but type-scoped contexts (non-propagating) are applied to a fresh clone
# every time, so nothing downstream of them ever hits its cache. Keying by content fixes that; the
# entries are pyld's own immutable-by-convention active contexts.
_PROCESSED: BoundedCache = BoundedCache(
    maxsize=1024, max_bytes=24 * 1024 * 1024,
    # the local context's JSON (its new term definitions cost ~16x that in objects) + the mappings table
    cost=lambda key, ctx: 16 * len(key) + 100 * len(ctx.get("mappings", ()) if isinstance(ctx, dict) else ()))


def _context_key(local_ctx: Any) -> str | None:
    if isinstance(local_ctx, str):
        return local_ctx
    try:
        return json.dumps(local_ctx, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return None


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise CanonicalizationError("JSON-LD processing ran past the verification deadline",
                                    code="canonicalization_timeout")


class _Processor(jsonld.JsonLdProcessor):  # type: ignore[misc]
    """pyld's processor with processed-context memoization across operations and a deadline."""

    def __init__(self, *args: Any, deadline: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def _expand(self, *args: Any, **kwargs: Any) -> Any:
        _check_deadline(self._deadline)
        return super()._expand(*args, **kwargs)

    def _process_context(self, active_ctx: Any, local_ctx: Any, options: Any, override_protected: bool = False,
                         propagate: bool = True, validate_scoped: bool = True, cycles: Any = None) -> Any:
        _check_deadline(self._deadline)
        ctx_key = _context_key(local_ctx)
        uid = active_ctx.get("_uuid") if isinstance(active_ctx, dict) else None
        if ctx_key is None or uid is None:
            return super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                            validate_scoped, cycles)
        key = f"{uid}|{int(override_protected)}{int(propagate)}{int(validate_scoped)}|{ctx_key}"
        cached = _PROCESSED.get(key)
        if cached is None:
            cached = super()._process_context(active_ctx, local_ctx, options, override_protected, propagate,
                                              validate_scoped, cycles)
            if isinstance(cached, dict) and "_uuid" not in cached:
                cached["_uuid"] = str(uuid.uuid4())
            _PROCESSED[key] = cached
        return cached


class _BoundedURDNA2015(URDNA2015):  # type: ignore[misc]
    """RDFC-1.0 with a work budget (poison-graph defence): N-degree hashing calls, the permutations
    they would try, and the deadline."""

    def __init__(self, limits: CanonicalizationLimits) -> None:
        super().__init__()
        self._budget = limits.max_n_degree_hashes
        self._permutations = limits.max_permutations
        self._deadline = limits.deadline

    @staticmethod
    def _over() -> CanonicalizationError:
        return CanonicalizationError("canonicalization exceeded its work budget (blank-node graph too "
                                     "symmetric); refusing the document")

    def hash_first_degree_quads(self, id_: Any) -> Any:
        _check_deadline(self._deadline)
        return super().hash_first_degree_quads(id_)

    def hash_n_degree_quads(self, id_: Any, issuer: Any) -> Any:
        _check_deadline(self._deadline)
        self._budget -= 1
        if self._budget < 0:
            raise self._over()
        return super().hash_n_degree_quads(id_, issuer)

    def create_hash_to_related(self, id_: Any, issuer: Any) -> Any:
        related = super().create_hash_to_related(id_, issuer)
        for nodes in related.values():  # hash_n_degree_quads tries every permutation of each group
            self._permutations -= math.factorial(min(len(nodes), 20))
            if self._permutations < 0:
                raise self._over()
        return related


def _options() -> dict[str, Any]:
    return {
        "documentLoader": document_loader,
        "contextResolver": context_resolver(),
        "base": None,  # None keeps relative IRIs relative (pyld resolves "" against example.org)
        "processingMode": "json-ld-1.1",
        "extractAllScripts": False,
    }


def _unwrap(exc: BaseException) -> CanonicalizationError:
    """Turn a pyld error chain into one clear CanonicalizationError (keeping ours if it is inside)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OpenBadgesError):
            if isinstance(seen, CanonicalizationError):
                return seen
            break
        seen = seen.__cause__ or seen.__context__
    detail = getattr(exc, "message", None) or str(exc).splitlines()[0]
    inner = exc.__cause__
    while inner is not None:  # the innermost pyld message is the informative one
        detail = getattr(inner, "message", None) or detail
        inner = inner.__cause__
    return CanonicalizationError(f"JSON-LD processing failed: {detail}")


def _is_absolute_iri(value: str) -> bool:
    scheme, sep, _ = value.partition(":")
    return bool(sep) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def _walk(root: Any, visit: Callable[[Mapping[str, Any]], Iterable[Any]]) -> None:
    """Depth-first over JSON without recursion: lists are flattened, every object is handed to ``visit``,
    which checks it and returns the values to descend into."""
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif type(item) is dict or isinstance(item, Mapping):  # dict first: the ABC check is slower
            stack.extend(visit(item))


def _check_expanded(expanded: Any, limits: CanonicalizationLimits) -> None:
    """Walk the expanded form: IRIs absolute, node and blank-node counts within limits."""
    nodes = 0
    blank = 0

    def visit(item: Mapping[str, Any]) -> Iterable[Any]:
        nonlocal nodes, blank
        if "@value" in item:
            return ()
        if "@list" in item or "@set" in item:
            return (item.get("@list", item.get("@set")),)
        nodes += 1
        node_id = item.get("@id")
        if node_id is None or (isinstance(node_id, str) and node_id.startswith("_:")):
            blank += 1
        elif not isinstance(node_id, str) or not _is_absolute_iri(node_id):
            raise CanonicalizationError(f"id {node_id!r} is not an absolute IRI; it would be dropped")
        for type_iri in item.get("@type", []):
            if not (type_iri.startswith("_:") or _is_absolute_iri(type_iri)):
                raise CanonicalizationError(f"type {type_iri!r} is not defined by the context")
        if nodes > limits.max_nodes:
            raise CanonicalizationError(f"document has more than {limits.max_nodes} nodes")
        if blank > limits.max_blank_nodes:
            raise CanonicalizationError(f"document has more than {limits.max_blank_nodes} blank nodes")
        return [value if key != "@reverse" else list(value.values()) for key, value in item.items()
                if key in ("@graph", "@included", "@reverse") or not key.startswith("@")]

    _walk(expanded, visit)


def _check_contexts(document: Mapping[str, Any], limits: CanonicalizationLimits) -> None:
    """Every ``@context`` in the document, before pyld sees one: few entries in all, none named twice
    in one list, little inline JSON. (``[VC2, OB3] + [OB3, VC2] * n`` costs milliseconds per entry.)"""
    entries = 0
    inline = 0

    def visit(item: Mapping[str, Any]) -> Iterable[Any]:
        nonlocal entries, inline
        if "@context" in item:
            value = item["@context"]
            listed = value if isinstance(value, list) else [value]
            entries += len(listed)
            if len(listed) > limits.max_contexts:
                raise CanonicalizationError(f"an @context has more than {limits.max_contexts} entries")
            if entries > limits.max_total_contexts:
                raise CanonicalizationError(f"more than {limits.max_total_contexts} @context entries")
            seen: set[str] = set()
            for ctx in listed:
                text = ctx if isinstance(ctx, str) else _context_key(ctx) or repr(ctx)
                if text in seen:
                    raise CanonicalizationError(f"@context names {text[:100]!r} twice")
                seen.add(text)
                if not isinstance(ctx, str) and ctx is not None:
                    inline += len(text)
                    if inline > limits.max_inline_context_bytes:
                        raise CanonicalizationError(
                            f"inline @context objects exceed {limits.max_inline_context_bytes} bytes")
        return [value for key, value in item.items() if key != "@context"]

    _walk(document, visit)


def expand(document: Mapping[str, Any], *, limits: CanonicalizationLimits | None = None) -> list[Any]:
    """Expand ``document`` with the bundled contexts only, rejecting undefined terms.

    Raises:
        CanonicalizationError: unknown context, undefined term or type, relative id, or a limit broken.
    """
    limits = limits or _DEFAULT_LIMITS
    if not isinstance(document, Mapping):
        raise CanonicalizationError("a JSON-LD document must be a JSON object")
    try:
        size = len(json.dumps(document, ensure_ascii=False).encode())
    except (TypeError, ValueError) as exc:
        raise CanonicalizationError(f"document is not JSON-serialisable: {exc}") from None
    if size > limits.max_document_bytes:
        raise CanonicalizationError(
            f"document is {size} bytes, more than the {limits.max_document_bytes}-byte limit")

    _check_contexts(document, limits)
    _check_deadline(limits.deadline)
    dropped: list[str | None] = []
    processor = _Processor(on_property_dropped=dropped.append, deadline=limits.deadline)
    try:
        expanded = processor.expand(dict(document), _options())
    except CanonicalizationError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyld raises JsonLdError, but also KeyError/TypeError on odd input
        raise _unwrap(exc) from None
    if dropped:
        names = ", ".join(sorted({str(d) for d in dropped}))
        raise CanonicalizationError(f"term(s) not defined by the JSON-LD context: {names}")
    _check_expanded(expanded, limits)
    return list(expanded)


def canonicalize(document: Mapping[str, Any], *, limits: CanonicalizationLimits | None = None) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (bundled contexts only, strict terms).

    Raises:
        CanonicalizationError: see :func:`expand`.
    """
    limits = limits or _DEFAULT_LIMITS
    expanded = expand(document, limits=limits)
    try:
        # What JsonLdProcessor.to_rdf does after expanding (we have expanded already, strictly).
        processor = _Processor(deadline=limits.deadline)
        issuer = IdentifierIssuer("_:b")
        node_map: dict[str, Any] = {"@default": {}}
        processor._create_node_map(expanded, node_map, "@default", issuer)
        options = {**_options(), "produceGeneralizedRdf": False, "rdfDirection": None}
        dataset = {name: processor._graph_to_rdf(graph, issuer, options)
                   for name, graph in sorted(node_map.items())
                   if name == "@default" or name.startswith("_:") or _is_absolute_iri(name)}
        canon = _BoundedURDNA2015(limits)
        result = canon.main(dataset, {"algorithm": "URDNA2015", "format": "application/n-quads"})
    except CanonicalizationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any pyld failure becomes a typed error
        raise _unwrap(exc) from None
    if not isinstance(result, str):
        raise CanonicalizationError("canonicalization did not produce N-Quads")
    return result
