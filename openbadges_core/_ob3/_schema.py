"""Validation of Open Badges 3.0 documents against our own JSON Schemas (``schemas/ob3/``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from openbadges_core._errors import ValidationError, ValidationIssue
from openbadges_core._resources import load_json

__all__ = ["SCHEMA_KINDS", "credential_issues", "expand_single_values", "validate_credential"]

#: kind -> (schema file, JSON pointer of the root definition or "")
SCHEMA_KINDS: Mapping[str, str] = {
    "achievementcredential": "",
    "endorsementcredential": "/$defs/EndorsementCredential",
    "profile": "/$defs/Profile",
    "achievement": "/$defs/Achievement",
}
_MAIN = "achievementcredential.schema.json"
#: top-level properties the spec allows as a single value where the schema wants an array.
_SINGLE_VALUE_ARRAYS = ("type", "proof", "credentialSchema", "termsOfUse")


@cache
def _validator(kind: str) -> Draft202012Validator:
    main = load_json("ob3", _MAIN)
    registry: Registry = Registry().with_resource(main["$id"], Resource.from_contents(main))
    pointer = SCHEMA_KINDS[kind]
    schema: Any = main if not pointer else {"$ref": main["$id"] + "#" + pointer}
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def expand_single_values(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with the single values the spec allows (``type``, ``proof``, ``credentialSchema``,
    ``termsOfUse``) wrapped in arrays, as the JSON Schemas expect."""
    out = dict(document)
    for name in _SINGLE_VALUE_ARRAYS:
        if name in out and not isinstance(out[name], list):
            out[name] = [out[name]]
    return out


def _kind_of(document: Mapping[str, Any]) -> str:
    types = document.get("type")
    types = types if isinstance(types, list) else [types]
    if "EndorsementCredential" in types:
        return "endorsementcredential"
    if "Profile" in types and "VerifiableCredential" not in types:
        return "profile"
    if "Achievement" in types:
        return "achievement"
    return "achievementcredential"


def credential_issues(document: Any, *, kind: str | None = None) -> list[ValidationIssue]:
    """Every schema rule ``document`` breaks (never raises on bad content). ``kind`` is one of
    :data:`SCHEMA_KINDS`; by default it is read from ``type``."""
    if not isinstance(document, Mapping):
        return [ValidationIssue("", "type", "an Open Badges 3.0 document must be a JSON object")]
    kind = kind or _kind_of(document)
    if kind not in SCHEMA_KINDS:
        raise ValueError(f"unknown OB 3.0 document kind {kind!r}")
    issues = []
    for error in sorted(_validator(kind).iter_errors(expand_single_values(document)), key=lambda e: list(e.path)):
        path = ".".join(str(p) for p in error.absolute_path)
        issues.append(ValidationIssue(path, str(error.validator), error.message[:300]))
    return issues


def validate_credential(document: Any, *, kind: str | None = None) -> None:
    """Raise :class:`ValidationError` listing every issue when ``document`` breaks the OB 3.0 schema."""
    issues = credential_issues(document, kind=kind)
    if issues:
        raise ValidationError("", issues)
