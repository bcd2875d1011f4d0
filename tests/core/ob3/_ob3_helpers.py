"""Shared loaders for the OB 3.0 tests: the official contexts (from the conformance folder) and fixtures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyld import jsonld
from pyld.context_resolver import ContextResolver

# URL -> official file in <conformance>/contexts (see its MANIFEST.md).
OFFICIAL_CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "w3c_credentials_v2.jsonld",
    "https://www.w3.org/2018/credentials/v1": "w3c_2018_credentials_v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob_v3p0_context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob_v3p0_context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob_v3p0_context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob_v3p0_context.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json": "ob_v3p0_extensions.json",
    "https://w3id.org/security/data-integrity/v1": "w3id_security_data-integrity_v1.jsonld",
    "https://w3id.org/security/suites/ed25519-2020/v1": "w3id_security_suites_ed25519-2020_v1.jsonld",
    "https://www.w3.org/ns/did/v1": "w3_ns_did_v1.jsonld",
}


def official_loader(conformance: Path) -> Any:
    def load(url: str, options: Any = None) -> dict[str, Any]:
        name = OFFICIAL_CONTEXT_FILES[url]
        doc = json.loads((conformance / "contexts" / name).read_text())
        return {"contextUrl": None, "documentUrl": url, "document": doc}
    return load


def pyld_options(loader: Any) -> dict[str, Any]:
    """Plain (non-strict) pyld options with a private resolver cache for ``loader``."""
    return {"documentLoader": loader, "contextResolver": ContextResolver({}, loader), "base": ""}


def official_canonical(doc: dict[str, Any], conformance: Path) -> str:
    opts = pyld_options(official_loader(conformance))
    opts.update({"algorithm": "URDNA2015", "format": "application/n-quads"})
    return str(jsonld.normalize(doc, opts))


def _contexts_of(doc: Any) -> list[str]:
    ctx = doc.get("@context", []) if isinstance(doc, dict) else []
    return [c for c in (ctx if isinstance(ctx, list) else [ctx]) if isinstance(c, str)]


def json_fixtures(conformance: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON-LD fixture (validator-ob30, spec examples, test vector) whose contexts are all ours."""
    roots = [conformance / "examples" / "validator-ob30", conformance / "examples" / "spec",
             conformance / "test-vectors" / "eddsa-rdfc-2022-ob3"]
    for root in roots:
        for path in sorted(root.rglob("*.json")):
            try:
                doc = json.loads(path.read_text())
            except (ValueError, UnicodeDecodeError):
                continue
            ctxs = _contexts_of(doc)
            if ctxs and all(c in OFFICIAL_CONTEXT_FILES for c in ctxs):
                yield f"{root.name}/{path.relative_to(root)}", doc
