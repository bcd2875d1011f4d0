"""Bundled JSON-LD contexts: fail-closed loading, and equivalence with the official context documents."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from _ob3_helpers import (
    OFFICIAL_CONTEXT_FILES,
    json_fixtures,
    official_canonical,
    official_loader,
    pyld_options,
)
from pyld import jsonld

from openbadges_core import CanonicalizationError
from openbadges_core._ob3._canon import CanonicalizationLimits, canonicalize, expand
from openbadges_core._ob3._contexts import BUNDLED_CONTEXTS, document_loader

VECTOR = Path("test-vectors") / "eddsa-rdfc-2022-ob3"


def test_every_official_context_url_is_bundled() -> None:
    for url in OFFICIAL_CONTEXT_FILES:
        assert document_loader(url)["document"]["@context"]


@pytest.mark.parametrize("url", sorted(OFFICIAL_CONTEXT_FILES))
def test_bundled_context_is_our_own_file_not_a_byte_copy(url: str, conformance: Path) -> None:
    ours = (Path(__file__).parent.parent / "schemas" / "contexts" / BUNDLED_CONTEXTS[url]).read_bytes()
    official = (conformance / "contexts" / OFFICIAL_CONTEXT_FILES[url]).read_bytes()
    assert ours != official


@pytest.mark.parametrize("url", ["https://example.com/context.json", "https://www.w3.org/2018/credentials/examples/v1",
                                 "http://www.w3.org/ns/credentials/v2", "file:///etc/passwd"])
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
