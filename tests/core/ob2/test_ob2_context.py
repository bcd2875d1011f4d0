"""Our bundled OB v2 JSON-LD context expands documents exactly as the official one does (no network)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from openbadges_core._resources import data_path
from openbadges_core.ob2 import OB2_CONTEXT, hash_identity
from tests.core.ob2._ob2_builders import make_assertion, make_badge, make_issuer

Loader = Callable[..., dict[str, Any]]


def local_loader(context_file: Path) -> Loader:
    """A pyld document loader that serves the OB v2 context from ``context_file`` and refuses everything else."""
    document = json.loads(context_file.read_text(encoding="utf-8"))

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url == OB2_CONTEXT:
            return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document)}
        raise jsonld.JsonLdError(f"offline test loader refuses {url}", "jsonld.LoadDocumentError",
                                 code="loading document failed")

    return load


@pytest.fixture(scope="module")
def official(conformance: Path) -> Loader:
    return local_loader(conformance / "contexts" / "openbadges_v2_context.json")


@pytest.fixture(scope="module")
def ours() -> Loader:
    return local_loader(data_path("contexts", "openbadges_v2.json"))


def expand(doc: Any, loader: Loader) -> Any:
    return jsonld.expand(copy.deepcopy(doc), {"documentLoader": loader})


def fixture_documents(conformance: Path) -> list[tuple[str, Any]]:
    folder = conformance / "examples" / "validator-ob20"
    docs = []
    for path in sorted(folder.rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("@context") == OB2_CONTEXT:
            docs.append((path.name, data))
    return docs


def test_bundled_context_defines_the_same_terms(conformance: Path) -> None:
    mine = json.loads(data_path("contexts", "openbadges_v2.json").read_text())["@context"]
    theirs = json.loads((conformance / "contexts" / "openbadges_v2_context.json").read_text())["@context"]
    assert sorted(mine) == sorted(theirs)


def test_every_term_expands_identically(ours: Loader, official: Loader) -> None:
    terms = json.loads(data_path("contexts", "openbadges_v2.json").read_text())["@context"]
    doc: dict[str, Any] = {"@context": OB2_CONTEXT, "id": "https://example.org/x",
                           "type": [t for t in terms if t[0].isupper() or t in ("hosted", "signed")]}
    for term, definition in terms.items():
        if term in ("id", "type") or not isinstance(definition, dict):
            continue
        doc[term] = "2016-12-31T23:59:59Z" if definition.get("@type") == "xsd:dateTime" else (
            True if definition.get("@type") == "xsd:boolean" else "https://example.org/value")
    a, b = expand(doc, ours), expand(doc, official)
    assert a == b
    # every property survived expansion (none dropped as undefined); revoked/revokedAssertions share obi:revoked
    distinct_iris = {d["@id"] for t, d in terms.items() if isinstance(d, dict) and t in doc}
    assert len(a[0]) == len(distinct_iris) + 2  # + @id, @type


def test_validator_fixtures_expand_identically(conformance: Path, ours: Loader, official: Loader) -> None:
    docs = fixture_documents(conformance)
    assert len(docs) >= 25
    for name, doc in docs:
        assert expand(doc, ours) == expand(doc, official), name


def test_our_output_expands_identically(ours: Loader, official: Loader) -> None:
    badge = make_badge(issuer=make_issuer(), tags=["robots"])
    for doc in (make_assertion(badge=badge, recipient=hash_identity("a@example.org")), badge, make_issuer()):
        data = doc.to_dict()
        expanded = expand(data, ours)
        assert expanded == expand(data, official)
        assert expanded[0]["@type"][0].startswith("https://w3id.org/openbadges#")


def test_loader_is_offline(ours: Loader) -> None:
    with pytest.raises(jsonld.JsonLdError):
        expand({"@context": "https://example.org/other-context.json", "name": "x"}, ours)
