"""Validation of OB 2.0 documents: our JSON Schemas (``schemas/ob2/``) plus the rules a schema cannot say.

Every broken rule becomes a :class:`ValidationIssue` ``(path, rule, message)``; ``path`` is a JSON path
such as ``recipient.identity`` or ``evidence[0].id`` (empty for the document itself). Rule names are
stable (see :data:`RULES`); schema keywords without a named rule are reported as ``schema.<keyword>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from math import isfinite
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _SchemaError

from openbadges_core._errors import ParseError, ValidationError, ValidationIssue
from openbadges_core._ob2._context import detect_kind, expand_term, is_type_iri
from openbadges_core._ob2._model import decode_json, join_path
from openbadges_core._ob2._rules import TOP_KINDS, WALKERS, Checker, short
from openbadges_core._resources import data_path, load_json

__all__ = ["RULES", "detect_kind", "document_issues", "expand_term", "is_type_iri", "validate_document"]

#: Every rule name an issue can carry (besides ``schema.<keyword>``), with what it means.
RULES: dict[str, str] = {
    "json": "the input is JSON text of an object",
    "document_type": "the type names a document we know (Assertion, BadgeClass, Issuer/Profile, ...)",
    "required": "a required property is present",
    "value_type": "a property has the right JSON type (string, object, boolean, list ...)",
    "context": "a top-level document has \"@context\": \"https://w3id.org/openbadges/v2\" (or a list holding it)",
    "type": "type contains the expected class; every entry is a context term, compact or absolute IRI",
    "iri": "an id-valued property is an http(s) URL, urn:uuid: or a _: blank node (images: also data:image/)",
    "url": "a URL property is an absolute http(s) URL",
    "url_authority": "allowedOrigins entries are host names (optionally with a port)",
    "compact_iri": "verificationProperty is a context term, compact IRI or absolute IRI",
    "email": "an e-mail address looks like local@domain.tld",
    "telephone": "a telephone number is E.164 (+ and up to 15 digits, optional ;ext=)",
    "datetime": "a date-time is ISO 8601 with date and time",
    "datetime.timezone": "a date-time carries a timezone (Z or an offset)",
    "expires_after_issued_on": "expires is later than issuedOn",
    "identity.type": "recipient type is email, url, telephone or id",
    "identity.hash_format": "a hashed identity is sha256$<64 hex> or md5$<32 hex>",
    "criteria.id_or_narrative": "criteria has an id or a narrative",
    "revoked_assertion.id": "a revokedAssertions entry has an id (or uid)",
    "public_key_pem": "publicKeyPem holds a PEM public key",
    "verification.type": "an Assertion's verification type is HostedBadge/hosted or SignedBadge/signed",
}

_KIND_ALIASES = {"Profile": "Issuer", "Alignment": "AlignmentObject", "Key": "CryptographicKey"}
_SCHEMA_REFS = {
    "Assertion": "urn:openbadges-core:ob2:assertion",
    "BadgeClass": "urn:openbadges-core:ob2:badgeclass",
    "Issuer": "urn:openbadges-core:ob2:issuer",
    "CryptographicKey": "urn:openbadges-core:ob2:cryptographickey",
    "RevocationList": "urn:openbadges-core:ob2:revocationlist",
    "IdentityObject": "urn:openbadges-core:ob2:common#/$defs/identityObject",
    "VerificationObject": "urn:openbadges-core:ob2:common#/$defs/verificationObject",
    "Criteria": "urn:openbadges-core:ob2:common#/$defs/criteriaObject",
    "Evidence": "urn:openbadges-core:ob2:common#/$defs/evidenceObject",
    "AlignmentObject": "urn:openbadges-core:ob2:common#/$defs/alignment",
    "Image": "urn:openbadges-core:ob2:common#/$defs/imageObject",
    "RevokedAssertion": "urn:openbadges-core:ob2:common#/$defs/revokedAssertion",
}
_SCHEMA_FILES = ("common", "assertion", "badgeclass", "issuer", "cryptographickey", "revocationlist")


# --- JSON Schema ---------------------------------------------------------------------------------

@cache
def _schemas() -> dict[str, Any]:
    """Our schema files by ``$id``."""
    out: dict[str, Any] = {}
    for name in _SCHEMA_FILES:
        contents = load_json("ob2", f"{name}.schema.json")
        out[contents["$id"]] = contents
    return out


def _inline(node: Any, base: str) -> Any:
    """``node`` with every ``$ref`` replaced by its target (our schemas are acyclic).

    jsonschema resolves a ``$ref`` through the referencing registry at every use; inlining once at load
    makes validation about four times faster, which the verifier feels. Siblings of a ``$ref`` are kept
    with ``allOf`` so nothing is overwritten.
    """
    if isinstance(node, list):
        return [_inline(item, base) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: ({name: _inline(sub, base) for name, sub in v.items()} if k == "properties" else _inline(v, base))
           for k, v in node.items() if k not in ("$ref", "$defs", "$id", "$schema", "title", "description")}
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return out
    target = base + ref if ref.startswith("#") else ref
    doc_id, _, fragment = target.partition("#")
    resolved: Any = _schemas()[doc_id]
    for part in filter(None, fragment.split("/")):
        resolved = resolved[part]
    inlined = _inline(resolved, doc_id)
    if isinstance(inlined, dict) and not (inlined.keys() & out.keys()):
        return {**inlined, **out}  # disjoint keywords: one schema object, one descend fewer
    return {"allOf": [inlined, out]} if out else inlined


@cache
def _inlined_schema(kind: str) -> dict[str, Any]:
    """The schema for ``kind`` with every ``$ref`` inlined (see :func:`_inline`), built once."""
    schema: dict[str, Any] = _inline({"$ref": _SCHEMA_REFS[kind]}, "")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


@cache
def _validator(kind: str) -> Draft202012Validator:
    """A compiled validator per kind, built once (``$ref``s inlined; see :func:`_inline`)."""
    return Draft202012Validator(_inlined_schema(kind))


@cache
def _fast_validator(kind: str) -> Callable[[Any], bool] | None:
    """``jsonschema_rs``'s ``is_valid`` for ``kind``, or None when the Rust validator is unavailable.

    Only a yes/no pre-check: a valid document (the verifier's common case) skips the pure-Python pass,
    which costs ~100x more; an invalid one still goes through :func:`_validator` so the issues are
    exactly the same. Formats are not asserted, as in the Python path (no ``FormatChecker``).
    """
    try:
        import jsonschema_rs
        return jsonschema_rs.Draft202012Validator(
            _inlined_schema(kind), validate_formats=False).is_valid
    except Exception:  # noqa: BLE001 - not installed, or cannot compile: the Python path alone
        return None


def _schema_valid(kind: str, data: Any) -> bool:
    """True only when the fast validator says ``data`` has no schema issues (False: ask the slow path)."""
    fast = _fast_validator(kind)
    if fast is None:
        return False
    try:
        return fast(data)
    except Exception:  # noqa: BLE001 - e.g. lone surrogates or non-JSON values: the Python path decides
        return False


def schema_path(kind: str) -> str:
    """Filesystem path of the JSON Schema file for a top-level ``kind`` (for users and tests)."""
    return str(data_path("ob2", f"{kind.lower()}.schema.json"))


def _schema_issue(error: _SchemaError) -> ValidationIssue:
    path = ""
    for part in error.absolute_path:
        path = join_path(path, part)
    keyword = str(error.validator)
    named = error.schema.get("x-rules", {}) if isinstance(error.schema, Mapping) else {}
    if keyword == "required":
        name = error.message.split(" is a required property", 1)[0].strip("'\"")
        return ValidationIssue(join_path(path, name), "required", f"{name} is required")
    if keyword == "type":
        got = type(error.instance).__name__
        return ValidationIssue(path, "value_type", f"expected {error.validator_value}, got {got}")
    if keyword in named:
        rule = named[keyword]
        return ValidationIssue(path, rule, f"{RULES.get(rule, rule)} (got {short(error.instance)})")
    return ValidationIssue(path, f"schema.{keyword}", error.message)


#: Documents nested deeper than this are refused (rule ``json``) before any recursive validation.
MAX_DEPTH = 64


_SCALARS = frozenset({str, int, float, bool, type(None)})  # JSON leaves: skip the slow ABC checks


def _shape(data: Any, limit: int) -> tuple[bool, bool]:
    """(containers nested deeper than ``limit``, ``data`` is plain JSON) in one iterative pass.

    Plain JSON holds only exact ``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` and finite
    floats, as a JSON parser returns. Only plain JSON takes the jsonschema_rs pre-check: it reads tuples
    as arrays and non-finite floats differently from ``jsonschema``, so anything else goes straight to
    the Python path and the issues stay exactly the same.
    """
    plain = True
    level: list[Any] = [data] if isinstance(data, (Mapping, list)) else []
    depth = 0
    while level:  # one pass per nesting level: the containers at ``depth``
        if depth > limit:
            return True, plain
        deeper: list[Any] = []
        for value in level:
            kind = type(value)
            if kind is dict:
                children = value.values()
            elif kind is list:
                children = value
            else:
                plain = False
                children = value.values() if isinstance(value, Mapping) else value
            for child in children:
                child_kind = type(child)
                if child_kind in _SCALARS:
                    if child_kind is float and not isfinite(child):
                        plain = False
                elif child_kind is dict or child_kind is list:
                    deeper.append(child)
                else:
                    plain = False
                    if isinstance(child, (Mapping, list)):
                        deeper.append(child)
        level = deeper
        depth += 1
    return False, plain


def _nesting_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` has containers nested deeper than ``limit`` (iterative: safe on hostile input)."""
    return _shape(data, limit)[0]


# --- public API -----------------------------------------------------------------------------------

def document_issues(doc_or_mapping: Any, *, kind: str | None = None) -> list[ValidationIssue]:
    """Every rule ``doc_or_mapping`` breaks (empty list: valid). Never raises on bad content.

    Accepts a document object, a mapping, or JSON text. ``kind`` forces the document kind
    (``Assertion``, ``BadgeClass``, ``Issuer``/``Profile``, ``CryptographicKey``, ``RevocationList``, or a
    nested object: ``IdentityObject``, ``VerificationObject``, ``Criteria``, ``Evidence``,
    ``AlignmentObject``, ``Image``); by default it is detected from ``type``.
    """
    if hasattr(doc_or_mapping, "to_dict") and hasattr(doc_or_mapping, "KIND"):
        if kind is None:
            kind = doc_or_mapping.KIND
        data: Any = doc_or_mapping.to_dict() if kind in TOP_KINDS else doc_or_mapping.to_node()
    elif isinstance(doc_or_mapping, (str, bytes, bytearray, memoryview)):
        try:
            data = decode_json(doc_or_mapping)
        except ValidationError as exc:
            return list(exc.issues)
    else:
        data = doc_or_mapping
    if not isinstance(data, Mapping):
        return [ValidationIssue("", "json", f"expected a JSON object, got {type(data).__name__}")]
    if not isinstance(data, dict):
        data = dict(data)  # jsonschema's "object" is a dict
    kind = _KIND_ALIASES.get(kind, kind) if kind is not None else detect_kind(data)
    if kind is None:
        return [ValidationIssue("type", "document_type",
                                f"not an OB 2.0 document type we know: {short(data.get('type', '<missing>'))}")]
    if kind not in _SCHEMA_REFS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(_SCHEMA_REFS)}")
    too_deep, plain = _shape(data, MAX_DEPTH)
    if too_deep:
        return [ValidationIssue("", "json", f"JSON nested deeper than {MAX_DEPTH} levels")]
    try:
        if plain and _schema_valid(kind, data):
            issues = []
        else:
            issues = [_schema_issue(e) for e in _validator(kind).iter_errors(data)]
    except RecursionError:  # pragma: no cover - the depth check above should make this unreachable
        return [ValidationIssue("", "json", "JSON nested too deeply")]
    checker = Checker()
    if kind in TOP_KINDS:
        checker.context(data, kind)
    WALKERS[kind](checker, data, "")
    seen: set[ValidationIssue] = set()
    result = []
    for issue in issues + checker.issues:
        if issue not in seen:
            seen.add(issue)
            result.append(issue)
    return result


def validate_document(doc_or_mapping: Any, *, kind: str | None = None) -> None:
    """Raise :class:`ValidationError` (``.issues`` lists every broken rule) unless the document is valid."""
    issues = document_issues(doc_or_mapping, kind=kind)
    if issues:
        error = ParseError if issues[0].rule in ("json", "document_type") else ValidationError
        shown = "; ".join(str(i) for i in issues[:5]) + (f"; and {len(issues) - 5} more" if len(issues) > 5 else "")
        raise error(f"invalid OB 2.0 {kind or detect_kind(_as_mapping(doc_or_mapping)) or 'document'}: "
                              f"{shown}", issues)


def _as_mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "to_dict"):
        return value.to_dict()  # type: ignore[no-any-return]
    return {}
