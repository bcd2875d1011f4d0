"""The OB v2 JSON-LD context as data: term expansion, IRI shapes, and document kind detection.

Read from our bundled ``schemas/contexts/openbadges_v2.json``; nothing is fetched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

from openbadges_core._ob2._model import OB2_CONTEXT
from openbadges_core._resources import load_json

OBI = "https://w3id.org/openbadges#"
SCHEMA_ORG = "http://schema.org/"
OB2_CONTEXT_URLS = frozenset({OB2_CONTEXT, "https://openbadgespec.org/v2/context.json"})

# Class IRIs a document's type must contain (expanded through the OB v2 context).
EXPECTED_TYPES: dict[str, frozenset[str]] = {
    "Assertion": frozenset({OBI + "Assertion"}),
    "BadgeClass": frozenset({OBI + "BadgeClass"}),
    "Issuer": frozenset({OBI + "Issuer", OBI + "Profile"}),
    "CryptographicKey": frozenset({"https://w3id.org/security#Key"}),
    "RevocationList": frozenset({OBI + "RevocationList"}),
}
VERIFICATION_TYPES = frozenset({OBI + "HostedBadge", OBI + "SignedBadge"})

_UUID_URN = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.IGNORECASE)
_BAD_IRI_CHARS = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")


def is_http_url(value: str) -> bool:
    """An absolute http(s) URL with a host and no characters an IRI may not hold."""
    # Memoised for short strings: the same issuer/badge/key URLs recur in every document a verifier
    # checks, and urlsplit + .port + .hostname cost ~2 us a call. The length cap bounds the memory.
    if len(value) <= _MEMO_MAX_CHARS:
        return _is_http_url_memo(value)
    return _is_http_url(value)


_MEMO_MAX_CHARS = 2048


def _is_http_url(value: str) -> bool:
    if _BAD_IRI_CHARS.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


_is_http_url_memo = lru_cache(maxsize=4096)(_is_http_url)


def is_iri(value: str) -> bool:
    """An IRI the OB 2.0 spec allows for ids: http(s) URL, ``urn:uuid:`` or a ``_:`` blank node."""
    return is_http_url(value) or bool(_UUID_URN.match(value)) or (value.startswith("_:") and len(value) > 2)


@cache
def context_terms() -> tuple[dict[str, str], frozenset[str]]:
    """(term -> expanded IRI, set of all defined term names) from our bundled OB v2 context."""
    raw: dict[str, Any] = load_json("contexts", "openbadges_v2.json")["@context"]
    prefixes = {k: v for k, v in raw.items() if isinstance(v, str) and v.startswith("http")}
    expanded: dict[str, str] = {}
    for term, definition in raw.items():
        target = definition.get("@id") if isinstance(definition, dict) else definition
        if not isinstance(target, str) or target.startswith("@"):
            continue
        if target in raw and isinstance(raw[target], dict):  # an alias of another term ("verify")
            target = raw[target]["@id"]
        prefix, sep, suffix = target.partition(":")
        expanded[term] = prefixes[prefix] + suffix if sep and prefix in prefixes else target
    return expanded, frozenset(raw)


def expand_term(value: str) -> str | None:
    """Expand a type/property value through the OB v2 context; None if it stays a relative IRI."""
    terms, _ = context_terms()
    if value in terms:
        return terms[value]
    prefix, sep, suffix = value.partition(":")
    if not sep:
        return None
    if prefix in terms and not suffix.startswith("//"):
        return terms[prefix] + suffix
    return value


def is_type_iri(value: str) -> bool:
    full = expand_term(value)
    return full is not None and (is_http_url(full) or bool(_UUID_URN.match(full)))


def detect_kind(data: Mapping[str, Any]) -> str | None:
    """The document kind named by ``data["type"]`` (``"Assertion"``, ``"Issuer"`` ...), or None."""
    value = data.get("type") if isinstance(data, Mapping) else None
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for entry in values:
        if not isinstance(entry, str):
            continue
        full = expand_term(entry)
        for kind, accepted in EXPECTED_TYPES.items():
            if full in accepted:
                return kind
    return None
