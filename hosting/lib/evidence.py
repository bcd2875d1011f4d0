"""Credly's three evidence types (``UrlEvidence``, ``PlainTextEvidence``, ``KeyValueGroupEvidence`` with
``KeyValuePairEvidence`` items), as Credly documents them, mapped to OB 2.0 ``Evidence`` (:func:`ob_evidence`)
and back (:func:`credly_evidence`). Both the Credly API and ``/v1`` take them; their OpenAPI shapes are the
structs below (:data:`EVIDENCE_TYPES`).

=========================================================================  =============================================
Credly                                                                     OB 2.0 Evidence
=========================================================================  =============================================
``UrlEvidence {name, value, description}``                                 ``{id: value, name, description}``
``PlainTextEvidence {title, description}``                                 ``{name: title, narrative: description}``
``KeyValueGroupEvidence {name, values: [{type: KeyValuePairEvidence,       ``{name, narrative: "key: value <url>" lines,
key, value, url?}]}``                                                      genre: "KeyValueGroupEvidence"}``
=========================================================================  =============================================
"""

from __future__ import annotations

import re
from typing import Any, Literal

import msgspec

from hosting.lib.body import FieldErrors

__all__ = ["CREDLY_EVIDENCE_TYPES", "EVIDENCE_TYPES", "KeyValueGroupEvidence", "KeyValuePairEvidence",
           "PlainTextEvidence", "UrlEvidence", "credly_evidence", "ob_evidence"]

CREDLY_EVIDENCE_TYPES = ("KeyValueGroupEvidence", "PlainTextEvidence", "UrlEvidence")
_GROUP = "KeyValueGroupEvidence"  # OB Evidence ``genre`` marking a key-value group (read back by credly_evidence)
_PAIR = re.compile(r"^(?P<key>[^:\n]+): (?P<value>.*?)(?: <(?P<url>https?://\S+)>)?$")
MAX_PAIRS = 100


# --- the documented shapes -----------------------------------------------------------------------------------

class UrlEvidence(msgspec.Struct, forbid_unknown_fields=True):
    """A link: value is an http(s) URL."""

    type: Literal["UrlEvidence"]
    value: str
    name: str | None = None
    description: str | None = None


class PlainTextEvidence(msgspec.Struct, forbid_unknown_fields=True):
    """A text: description (required) under a title."""

    type: Literal["PlainTextEvidence"]
    description: str
    title: str | None = None


class KeyValuePairEvidence(msgspec.Struct, forbid_unknown_fields=True):
    type: Literal["KeyValuePairEvidence"]
    key: str
    value: str
    url: str | None = None


class KeyValueGroupEvidence(msgspec.Struct, forbid_unknown_fields=True):
    """A named group of 1 to 100 key-value pairs (a pair's url is optional)."""

    type: Literal["KeyValueGroupEvidence"]
    values: list[KeyValuePairEvidence]
    name: str | None = None


EVIDENCE_TYPES: tuple[type[msgspec.Struct], ...] = (KeyValueGroupEvidence, PlainTextEvidence, UrlEvidence)


# --- Credly → OB 2.0 -----------------------------------------------------------------------------------------

def _group(item: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    lines = []
    values = item.get("values")
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_PAIRS:
        errors.add("values", f"a list of 1 to {MAX_PAIRS} KeyValuePairEvidence objects", None)
        values = []
    for i, pair in enumerate(values):
        if not isinstance(pair, dict) or pair.get("type") != "KeyValuePairEvidence":
            errors.add(f"values[{i}].type", "must be KeyValuePairEvidence", None)
            continue
        key = errors.text(pair, "key", required=True, max_len=255)
        value = errors.text(pair, "value", required=True, max_len=2000)
        url = errors.url(pair, "url") if pair.get("url") is not None else None
        if key is not None and value is not None:
            if ":" in key or "\n" in key or "\n" in value:
                errors.add(f"values[{i}].key", "no colon or line break in a key, no line break in a value", key)
            lines.append(f"{key}: {value}" + (f" <{url}>" if url else ""))
    return {"name": errors.text(item, "name", max_len=255), "narrative": "\n".join(lines), "genre": _GROUP}


def ob_evidence(item: dict[str, Any], errors: FieldErrors) -> dict[str, Any] | None:
    """One Credly evidence object → an OB 2.0 ``Evidence`` object (``None`` when ``errors`` got problems, named
    by the fields inside ``item``: ``value``, ``values[0].key`` …). ``item["type"]`` must be one of
    :data:`CREDLY_EVIDENCE_TYPES`."""
    before = len(errors.details)
    kind = item.get("type")
    if kind == "UrlEvidence":
        out = {"id": errors.url(item, "value", required=True), "name": errors.text(item, "name", max_len=255),
               "description": errors.text(item, "description", max_len=10_000)}
    elif kind == "PlainTextEvidence":
        out = {"name": errors.text(item, "title", max_len=255),
               "narrative": errors.text(item, "description", required=True, max_len=10_000)}
    elif kind == _GROUP:
        out = _group(item, errors)
    else:
        errors.add("type", f"one of {', '.join(CREDLY_EVIDENCE_TYPES)}", kind)
        return None
    if len(errors.details) > before:
        return None
    return {"type": "Evidence", **{k: v for k, v in out.items() if v}}


# --- OB 2.0 → Credly -----------------------------------------------------------------------------------------

def credly_evidence(evidence: list[Any] | None) -> list[dict[str, Any]]:
    """Stored OB Evidence → Credly's evidence objects (the inverse of :func:`ob_evidence`)."""
    out: list[dict[str, Any]] = []
    for item in evidence or ():
        if not isinstance(item, dict):
            continue
        if item.get("genre") == _GROUP:
            pairs = []
            for line in str(item.get("narrative", "")).splitlines():
                match = _PAIR.match(line)
                if match:
                    pairs.append({"type": "KeyValuePairEvidence", "key": match["key"], "value": match["value"],
                                  **({"url": match["url"]} if match["url"] else {})})
            out.append({"type": _GROUP, "name": item.get("name"), "values": pairs})
        elif item.get("id"):
            out.append({"type": "UrlEvidence", "name": item.get("name"), "description": item.get("description"),
                        "value": item["id"]})
        else:
            out.append({"type": "PlainTextEvidence", "title": item.get("name"),
                        "description": item.get("narrative")})
    return out
