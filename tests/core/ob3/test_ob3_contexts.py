"""Bundled JSON-LD contexts: fail-closed loading, and equivalence with the official context documents."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from openbadges_core import CanonicalizationError
from openbadges_core._ob3._canon import CanonicalizationLimits, canonicalize, expand
from openbadges_core._ob3._contexts import BUNDLED_CONTEXTS, document_loader
from tests.core.ob3._ob3_helpers import (
    OFFICIAL_CONTEXT_FILES,
    json_fixtures,
    official_canonical,
    official_loader,
    pyld_options,
)

VECTOR = Path("test-vectors") / "eddsa-rdfc-2022-ob3"


def test_every_official_context_url_is_bundled() -> None:
    for url in OFFICIAL_CONTEXT_FILES:
        assert document_loader(url)["document"]["@context"]


@pytest.mark.parametrize("url", sorted(OFFICIAL_CONTEXT_FILES))
def test_bundled_context_is_our_own_file_not_a_byte_copy(url: str, conformance: Path) -> None:
    ours = (Path(__file__).resolve().parents[3] / "schemas" / "contexts" / BUNDLED_CONTEXTS[url]).read_bytes()
    official = (conformance / "contexts" / OFFICIAL_CONTEXT_FILES[url]).read_bytes()
    assert ours != official


@pytest.mark.parametrize("url", ["https://example.com/context.json", "https://www.w3.org/2018/credentials/examples/v1",
                                 "http://www.w3.org/ns/credentials/v2", "file:///etc/passwd",
                                 # no official document to prove a bundled one against: fail closed
                                 "https://w3id.org/security/data-integrity/v2", "https://w3id.org/security/multikey/v1",
                                 "https://www.w3.org/ns/credentials/v2/"])
def test_unknown_context_url_fails_closed(url: str) -> None:
    with pytest.raises(CanonicalizationError):
        document_loader(url)
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2", url], "type": ["VerifiableCredential"]}
    with pytest.raises(CanonicalizationError):
        canonicalize(doc)


def test_fixtures_expand_identically_with_bundled_and_official_contexts(conformance: Path) -> None:
    fixtures = list(json_fixtures(conformance))
    assert len(fixtures) > 40  # validator-ob30 + spec examples + test vector
    for name, doc in fixtures:
        ours = jsonld.expand(copy.deepcopy(doc), pyld_options(document_loader))
        theirs = jsonld.expand(copy.deepcopy(doc), pyld_options(official_loader(conformance)))
        assert ours == theirs, name


def test_fixtures_canonicalize_identically_with_bundled_and_official_contexts(conformance: Path) -> None:
    checked = 0
    for name, doc in json_fixtures(conformance):
        try:
            ours = canonicalize(doc)
        except CanonicalizationError:
            continue  # strictness (undefined terms) is tested separately; equality is the point here
        assert ours == official_canonical(copy.deepcopy(doc), conformance), name
        checked += 1
    assert checked >= 35  # the rest use undefined terms on purpose (simple-err-*) and are rejected


def test_test_vector_document_canonicalizes_byte_for_byte(conformance: Path) -> None:
    credential = json.loads((conformance / VECTOR / "credential.json").read_text())
    assert canonicalize(credential) == (conformance / VECTOR / "document-canon.nq").read_text()


def _vc11(**extra: Any) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/2018/credentials/v1"], "id": "urn:uuid:1",
            "type": ["VerifiableCredential"], "issuer": "https://example.com/i",
            "issuanceDate": "2024-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:x"}, **extra}


def test_term_not_defined_by_context_is_rejected() -> None:
    canonicalize(_vc11())
    with pytest.raises(CanonicalizationError, match="not defined"):
        canonicalize(_vc11(secretlyUnsigned="oops"))


def test_undefined_term_nested_in_subject_is_rejected() -> None:
    doc = _vc11()
    doc["credentialSubject"]["grade"] = "A"
    with pytest.raises(CanonicalizationError, match="grade"):
        canonicalize(doc)


def test_undefined_type_is_rejected() -> None:
    with pytest.raises(CanonicalizationError, match="type"):
        canonicalize(_vc11(type=["VerifiableCredential", "MadeUpCredential"]))


def test_relative_id_is_rejected() -> None:
    with pytest.raises(CanonicalizationError, match="absolute"):
        canonicalize(_vc11(id="credentials/1"))


def test_undefined_term_in_vc2_credential_is_rejected() -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
           "issuer": "https://example.com/i", "credentialSubject": {"id": "did:example:x"}}
    assert "did:example:x" in canonicalize(doc)
    doc["credentialSubject"]["grade"] = "A"
    with pytest.raises(CanonicalizationError, match="grade"):
        canonicalize(doc)


def test_document_size_is_capped() -> None:
    with pytest.raises(CanonicalizationError, match="limit"):
        canonicalize(_vc11(description="x" * 2000), limits=CanonicalizationLimits(max_document_bytes=1000))


def test_blank_node_count_is_capped() -> None:
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"],
           "issuer": "https://example.com/i",
           "credentialSubject": [{"name": str(i)} for i in range(50)]}
    expand(doc)
    with pytest.raises(CanonicalizationError, match="blank nodes"):
        canonicalize(doc, limits=CanonicalizationLimits(max_blank_nodes=20))


def test_non_object_document_is_a_typed_error() -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(["not", "a", "document"])  # type: ignore[arg-type]


def test_invalid_context_value_is_a_typed_error() -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize({"@context": 42, "type": "x"})


def _poison_graph(size: int) -> dict[str, Any]:
    """A ring of identical blank nodes: every node looks alike, so RDFC-1.0 must hash N-degree paths."""
    nodes = [{"@id": f"_:n{i}", "https://example.org/p": {"@id": f"_:n{(i + 1) % size}"},
              "https://example.org/q": {"@id": f"_:n{(i + 2) % size}"}} for i in range(size)]
    return {"@context": {"@version": 1.1}, "@graph": nodes}


def test_symmetric_blank_node_graph_hits_the_work_budget() -> None:
    with pytest.raises(CanonicalizationError, match="work budget"):
        canonicalize(_poison_graph(12), limits=CanonicalizationLimits(max_n_degree_hashes=50))


def test_small_symmetric_graph_within_budget_canonicalizes(conformance: Path) -> None:
    doc = _poison_graph(4)
    assert canonicalize(doc) == official_canonical(copy.deepcopy(doc), conformance)


# --- Our context documents are written by us, and proven to mean exactly what the official ones mean ---

_CONTEXT_DIR = Path(__file__).resolve().parents[3] / "schemas" / "contexts"
_OPTIONS_11 = {"processingMode": "json-ld-1.1"}


def _processor_options(loader: Any) -> dict[str, Any]:
    return {**pyld_options(loader), **_OPTIONS_11}


def _semantic(mapping: Any, inherited: bool, processor: Any, active: Any, options: Any) -> Any:
    """A term definition as pyld holds it, with its raw scoped context replaced by what it processes to,
    applied as a type (not propagated) and as a property (may override protected terms). A definition
    inherited unchanged from the enclosing level was already expanded there."""
    if mapping is None:
        return None
    view = {k: v for k, v in mapping.items() if k != "@context"}
    if "@context" in mapping:
        if inherited:
            view["@context"] = "<as above>"
        else:
            view["@context"] = {
                how: _outcome(_scoped_view, mapping["@context"], flags, processor, active, options)
                for how, flags in _SCOPED_USES.items()}
    return view


_SCOPED_USES: dict[str, dict[str, bool]] = {"as type": {"propagate": False},
                                            "as property": {"override_protected": True}}


def _scoped_view(scoped: Any, flags: dict[str, bool], processor: Any, active: Any, options: Any) -> Any:
    return _active_view(processor._process_context(active, scoped, options, **flags), active, processor, options)


def _active_view(active: Any, parent: Any, processor: Any, options: Any) -> dict[str, Any]:
    above = parent["mappings"] if parent else {}
    return {
        "@vocab": active.get("@vocab"), "@language": active.get("@language"), "@base": active.get("@base"),
        "propagates": "previousContext" not in active,
        "terms": {term: _semantic(mapping, term in above and above[term] == mapping, processor, active, options)
                  for term, mapping in sorted(active["mappings"].items())},
    }


def _process(urls: list[str], loader: Any) -> Any:
    processor = jsonld.JsonLdProcessor()
    options = _processor_options(loader)
    initial = processor._get_initial_context(options)
    return processor, processor._process_context(initial, urls, options), options


def _context_view(urls: list[str], loader: Any) -> dict[str, Any]:
    processor, active, options = _process(urls, loader)
    return _active_view(active, None, processor, options)


@pytest.mark.parametrize("url", sorted(OFFICIAL_CONTEXT_FILES))
def test_bundled_context_defines_every_term_as_the_official_one(url: str, conformance: Path) -> None:
    ours = _context_view([url], document_loader)
    theirs = _context_view([url], official_loader(conformance))
    assert ours["terms"].keys() == theirs["terms"].keys()
    for term in theirs["terms"]:
        assert ours["terms"][term] == theirs["terms"][term], term
    assert ours == theirs


def _raw_definitions(urls: list[str], loader: Any) -> list[tuple[str, str, Any]]:
    """Every term definition (url, scope path, pyld mapping with its raw scoped context), at every level."""
    found: list[tuple[str, str, Any]] = []

    def walk(url: str, path: str, processor: Any, active: Any, options: Any, above: Any) -> None:
        for term, mapping in active["mappings"].items():
            if term in above and above[term] == mapping:
                continue  # inherited unchanged from the enclosing level
            found.append((url, f"{path}/{term}", mapping))
            if mapping and "@context" in mapping:
                for how, flags in _SCOPED_USES.items():
                    try:
                        scoped = processor._process_context(active, mapping["@context"], options, **flags)
                    except jsonld.JsonLdError:
                        continue  # e.g. a property-only context used as a type; compared in the views
                    walk(url, f"{path}/{term} {how}", processor, scoped, options, active["mappings"])

    for url in urls:
        processor, active, options = _process([url], loader)
        walk(url, "", processor, active, options, {})
    return found


def test_protected_redefinitions_between_contexts_behave_as_with_the_official_ones(conformance: Path) -> None:
    """pyld lets a protected term be redefined only by an *identical* definition (raw scoped context
    included), e.g. ``proofPurpose`` in both the VC 2.0 and the Ed25519Signature2020 proof contexts. Our
    wording differs from the official one, so check that every pair of same-named definitions anywhere
    in the bundle is equal in ours exactly when it is equal in the official documents."""
    urls = sorted(OFFICIAL_CONTEXT_FILES)
    ours = {(u, p): m for u, p, m in _raw_definitions(urls, document_loader)}
    theirs = {(u, p): m for u, p, m in _raw_definitions(urls, official_loader(conformance))}
    assert sorted(ours) == sorted(theirs)
    by_term: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(theirs):
        by_term.setdefault(key[1].rsplit("/", 1)[1].split(" ")[0], []).append(key)
    compared = 0
    for keys in by_term.values():
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                assert (ours[a] == ours[b]) == (theirs[a] == theirs[b]), (a, b)
                compared += 1
    assert compared > 1000


def _outcome(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or the JSON-LD error code it raised (so both sides can be compared)."""
    try:
        return fn(*args, **kwargs)
    except jsonld.JsonLdError as exc:
        return ("error", exc.code)


@pytest.mark.parametrize("first", sorted(OFFICIAL_CONTEXT_FILES))
def test_context_combinations_process_as_with_the_official_ones(first: str, conformance: Path) -> None:
    official = official_loader(conformance)
    for second in sorted(OFFICIAL_CONTEXT_FILES):
        ours = _outcome(_context_view, [first, second], document_loader)
        theirs = _outcome(_context_view, [first, second], official)
        assert ours == theirs, second


def _value_for(definition: Any) -> Any:
    if isinstance(definition, dict) and definition.get("@type") == "@vocab":
        return "assertionMethod"
    if isinstance(definition, dict) and definition.get("@type") == "@json":
        return {"any": ["json", 1]}
    return "urn:example:value"


def _terms_of(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in context.items() if not k.startswith("@") and k not in ("id", "type")}


def _synthetic_nodes(context: Any) -> list[dict[str, Any]]:
    """Probes using every term of an official context: one node with every top-level term, and for each
    term with a scoped context a node of that type and a node holding it as a property, filled with every
    term of the scoped context (one level further down for nested scoped contexts such as proofPurpose)."""
    contexts = context if isinstance(context, list) else [context]
    top = {k: v for c in contexts for k, v in _terms_of(c).items()}
    nodes = [{k: _value_for(v) for k, v in top.items()}]
    for name, definition in top.items():
        if not (isinstance(definition, dict) and isinstance(definition.get("@context"), dict)):
            continue
        filled: dict[str, Any] = {}
        for term, inner in _terms_of(definition["@context"]).items():
            if isinstance(inner, dict) and isinstance(inner.get("@context"), dict):
                filled[term] = {k: _value_for(v) for k, v in _terms_of(inner["@context"]).items()}
            else:
                filled[term] = _value_for(inner)
        nodes.append({"id": f"urn:example:{name}", "type": name, **filled})
        nodes.append({"id": "urn:example:holder", name: {"id": f"urn:example:{name}", **filled}})
    return nodes


@pytest.mark.parametrize("url", sorted(OFFICIAL_CONTEXT_FILES))
def test_synthetic_document_using_every_term_expands_and_canonicalizes_identically(url: str,
                                                                                    conformance: Path) -> None:
    official = json.loads((conformance / "contexts" / OFFICIAL_CONTEXT_FILES[url]).read_text())["@context"]
    nodes = _synthetic_nodes(official)
    meaningful = 0
    for node in nodes:
        doc = {"@context": url, **node}
        ours = _outcome(jsonld.expand, copy.deepcopy(doc), _processor_options(document_loader))
        theirs = _outcome(jsonld.expand, copy.deepcopy(doc), _processor_options(official_loader(conformance)))
        assert ours == theirs, node
        if isinstance(ours, tuple):
            continue  # rejected by both (e.g. a property-only scoped context used as a type)
        meaningful += 1
        opts = {"algorithm": "URDNA2015", "format": "application/n-quads"}
        assert (jsonld.normalize(copy.deepcopy(doc), {**_processor_options(document_loader), **opts})
                == official_canonical(copy.deepcopy(doc), conformance))
    assert meaningful >= max(1, len(nodes) // 2)


def _normalised(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("url", sorted(OFFICIAL_CONTEXT_FILES))
def test_bundled_context_is_not_the_official_document_reformatted(url: str, conformance: Path) -> None:
    ours = json.loads((_CONTEXT_DIR / BUNDLED_CONTEXTS[url]).read_text())
    official = json.loads((conformance / "contexts" / OFFICIAL_CONTEXT_FILES[url]).read_text())
    assert _normalised(ours) != _normalised(official)
    # nor the official one with its keys merely re-ordered or its term objects re-indented: our own
    # wording uses the string form for plain terms, which the official documents (mostly) do not
    assert _normalised(ours["@context"]) != _normalised(official["@context"])


def test_every_bundled_context_file_is_documented(conformance: Path) -> None:
    readme = (_CONTEXT_DIR / "README.md").read_text()
    for url, name in BUNDLED_CONTEXTS.items():
        assert name in readme and url in readme, name
