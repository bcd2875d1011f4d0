"""Validation of OB 2.0 documents: our JSON Schemas (``schemas/ob2/``) plus the rules a schema cannot say.

Every broken rule becomes a :class:`ValidationIssue` ``(path, rule, message)``; ``path`` is a JSON path
such as ``recipient.identity`` or ``evidence[0].id`` (empty for the document itself). Rule names are
stable (see :data:`RULES`); schema keywords without a named rule are reported as ``schema.<keyword>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as _SchemaError

from openbadges_core._errors import ParseError, ValidationError, ValidationIssue
from openbadges_core._ob2._model import OB2_CONTEXT, decode_json, join_path, parse_datetime
from openbadges_core._resources import data_path, load_json

__all__ = ["RULES", "detect_kind", "document_issues", "validate_document"]

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

_OB2_CONTEXT_URLS = frozenset({OB2_CONTEXT, "https://openbadgespec.org/v2/context.json"})
_OBI = "https://w3id.org/openbadges#"
_SCHEMA_ORG = "http://schema.org/"

_TOP_KINDS = ("Assertion", "BadgeClass", "Issuer", "CryptographicKey", "RevocationList")
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
}
_SCHEMA_FILES = ("common", "assertion", "badgeclass", "issuer", "cryptographickey", "revocationlist")

# Class IRIs a document's type must contain (expanded through the OB v2 context).
_EXPECTED_TYPES: dict[str, frozenset[str]] = {
    "Assertion": frozenset({_OBI + "Assertion"}),
    "BadgeClass": frozenset({_OBI + "BadgeClass"}),
    "Issuer": frozenset({_OBI + "Issuer", _OBI + "Profile"}),
    "CryptographicKey": frozenset({"https://w3id.org/security#Key"}),
    "RevocationList": frozenset({_OBI + "RevocationList"}),
}
_VERIFICATION_TYPES = frozenset({_OBI + "HostedBadge", _OBI + "SignedBadge"})

_UUID_URN = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z", re.IGNORECASE)
_BAD_IRI_CHARS = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f]")
_DATA_IMAGE = re.compile(r"data:image/[A-Za-z0-9.+-]+(;[^,]*)?,", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+\Z")
_TELEPHONE = re.compile(r"\+?[1-9]\d{1,14}(;ext=\d+)?\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_AUTHORITY = re.compile(rf"(?=[^:]{{1,253}}(:|\Z)){_LABEL}(\.{_LABEL})*(:\d{{1,5}})?\Z")


# --- the OB v2 context, as data: terms and prefixes -------------------------------------------------

@cache
def _context_terms() -> tuple[dict[str, str], frozenset[str]]:
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
    terms, _ = _context_terms()
    if value in terms:
        return terms[value]
    prefix, sep, suffix = value.partition(":")
    if not sep:
        return None
    if prefix in terms and not suffix.startswith("//"):
        return terms[prefix] + suffix
    return value


def _is_type_iri(value: str) -> bool:
    full = expand_term(value)
    return full is not None and (_is_http_url(full) or bool(_UUID_URN.match(full)))


def detect_kind(data: Mapping[str, Any]) -> str | None:
    """The document kind named by ``data["type"]`` (``"Assertion"``, ``"Issuer"`` ...), or None."""
    value = data.get("type") if isinstance(data, Mapping) else None
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for entry in values:
        if not isinstance(entry, str):
            continue
        full = expand_term(entry)
        for kind, accepted in _EXPECTED_TYPES.items():
            if full in accepted:
                return kind
    return None


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
def _validator(kind: str) -> Draft202012Validator:
    """A compiled validator per kind, built once (``$ref``s inlined; see :func:`_inline`)."""
    schema = _inline({"$ref": _SCHEMA_REFS[kind]}, "")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return Draft202012Validator(schema)


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
        return ValidationIssue(path, rule, f"{RULES.get(rule, rule)} (got {_short(error.instance)})")
    return ValidationIssue(path, f"schema.{keyword}", error.message)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- value rules -----------------------------------------------------------------------------------

def _is_http_url(value: str) -> bool:
    if _BAD_IRI_CHARS.search(value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _is_iri(value: str) -> bool:
    return _is_http_url(value) or bool(_UUID_URN.match(value)) or (value.startswith("_:") and len(value) > 2)


class _Checker:
    """Walks one document and collects issues; tolerant of wrong JSON types (the schema reports them)."""

    def __init__(self) -> None:
        self.issues: list[ValidationIssue] = []

    def add(self, path: str, rule: str, message: str) -> None:
        self.issues.append(ValidationIssue(path, rule, message))

    # primitives
    def iri(self, data: Mapping[str, Any], key: str, path: str, *, image: bool = False) -> None:
        value = data.get(key)
        if isinstance(value, str):
            self.iri_value(value, join_path(path, key), image=image)

    def iri_value(self, value: str, path: str, *, image: bool = False) -> None:
        if _is_iri(value) or (image and _DATA_IMAGE.match(value)):
            return
        allowed = "an http(s) URL, urn:uuid: or _: blank node" + (" or data:image/ URI" if image else "")
        self.add(path, "iri", f"{_short(value)} is not {allowed}")

    def url(self, data: Mapping[str, Any], key: str, path: str) -> None:
        for p, value in _strings(data.get(key), join_path(path, key)):
            if not _is_http_url(value):
                self.add(p, "url", f"{_short(value)} is not an absolute http(s) URL")

    def email(self, value: Any, path: str) -> None:
        if isinstance(value, str) and not _EMAIL.match(value):
            self.add(path, "email", f"{_short(value)} does not look like an e-mail address")

    def telephone(self, value: Any, path: str) -> None:
        if isinstance(value, str) and not _TELEPHONE.match(value):
            self.add(path, "telephone", f"{_short(value)} is not an E.164 telephone number (e.g. +16175551212)")

    def datetime(self, data: Mapping[str, Any], key: str, path: str) -> datetime | None:
        value = data.get(key)
        if not isinstance(value, str):
            return None
        try:
            return parse_datetime(value, join_path(path, key))
        except ValidationError as exc:
            self.issues.extend(exc.issues)
            return None

    def rdf_type(self, data: Mapping[str, Any], path: str, expected: frozenset[str] | None,
                 *, required: bool) -> None:
        value = data.get("type")
        where = join_path(path, "type")
        if value is None:
            return  # "required" comes from the schema where the type is mandatory
        entries = [value] if isinstance(value, str) else value if isinstance(value, list) else None
        if entries is None:
            return
        if required and not entries:
            self.add(where, "type", "type must not be empty")
            return
        for i, entry in enumerate(entries):
            if isinstance(entry, str) and not _is_type_iri(entry):
                sub = where if isinstance(value, str) else join_path(where, i)
                self.add(sub, "type", f"{_short(entry)} is neither a term of the OB v2 context nor an IRI")
        if expected is not None and not any(isinstance(e, str) and expand_term(e) in expected for e in entries):
            names = ", ".join(sorted(e.rsplit("#", 1)[-1] for e in expected))
            self.add(where, "type", f"type must include {names} (got {_short(value)})")

    def context(self, data: Mapping[str, Any], kind: str) -> None:
        if "@context" not in data:
            self.add("@context", "context", f"a top-level document needs \"@context\": \"{OB2_CONTEXT}\"")
            return
        ctx = data["@context"]
        entries = ctx if isinstance(ctx, list) else [ctx]
        if any(isinstance(e, str) and e in _OB2_CONTEXT_URLS for e in entries):
            return
        inline = [e for e in entries if isinstance(e, Mapping)]
        if inline and all(_inline_context_agrees(e, kind) for e in inline):
            return
        self.add("@context", "context", f"@context {_short(ctx)} is not the Open Badges v2 context {OB2_CONTEXT}")

    # nodes
    def image(self, data: Mapping[str, Any], key: str, path: str) -> None:
        value = data.get(key)
        where = join_path(path, key)
        if isinstance(value, str):
            self.iri_value(value, where, image=True)
        elif isinstance(value, Mapping):
            self.image_object(value, where)

    def image_object(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, None, required=False)
        self.iri(d, "id", path, image=True)
        self.iri(d, "author", path)

    def identity(self, data: Any, path: str) -> None:
        if not isinstance(data, Mapping) or data.get("hashed") is True:
            return
        value, kind, where = data.get("identity"), data.get("type"), join_path(path, "identity")
        if not isinstance(value, str):
            return
        if kind == "email":
            self.email(value, where)
        elif kind == "telephone":
            self.telephone(value, where)
        elif kind == "url" and not _is_http_url(value):
            self.add(where, "url", f"{_short(value)} is not an absolute http(s) URL")
        elif kind == "id":
            self.iri_value(value, where)

    def verification(self, data: Any, path: str, *, assertion: bool) -> None:
        if not isinstance(data, Mapping):
            return
        self.rdf_type(data, path, None, required=assertion)
        value = data.get("type")
        entries = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if assertion and entries and not any(isinstance(e, str) and expand_term(e) in _VERIFICATION_TYPES
                                             for e in entries):
            self.add(join_path(path, "type"), "verification.type",
                     f"{_short(value)} is not HostedBadge (hosted) or SignedBadge (signed)")
        self.iri(data, "creator", path)
        self.url(data, "startsWith", path)
        for p, origin in _strings(data.get("allowedOrigins"), join_path(path, "allowedOrigins")):
            if not _AUTHORITY.match(origin):
                self.add(p, "url_authority", f"{_short(origin)} is not a host name (like example.org)")
        prop = data.get("verificationProperty")
        if isinstance(prop, str) and not (prop in _context_terms()[1] or _is_type_iri(prop)):
            self.add(join_path(path, "verificationProperty"), "compact_iri",
                     f"{_short(prop)} is not a term of the OB v2 context, a compact IRI or an IRI")

    def iri_or_node(self, data: Mapping[str, Any], key: str, path: str, walk: Any, *, many: bool = False) -> None:
        value = data.get(key)
        where = join_path(path, key)
        items = list(enumerate(value)) if many and isinstance(value, list) else [(None, value)]
        for i, item in items:
            sub = where if i is None else join_path(where, i)
            if isinstance(item, str):
                self.iri_value(item, sub)
            elif isinstance(item, Mapping):
                walk(item, sub)

    # documents
    def assertion(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, _EXPECTED_TYPES["Assertion"], required=True)
        self.iri(d, "id", path)
        self.identity(d.get("recipient"), join_path(path, "recipient"))
        self.iri_or_node(d, "badge", path, self.badgeclass)
        self.verification(d.get("verification"), join_path(path, "verification"), assertion=True)
        issued = self.datetime(d, "issuedOn", path)
        expires = self.datetime(d, "expires", path)
        if issued is not None and expires is not None and expires <= issued:
            self.add(join_path(path, "expires"), "expires_after_issued_on",
                     f"expires ({d['expires']}) is not after issuedOn ({d['issuedOn']})")
        self.image(d, "image", path)
        self.iri_or_node(d, "evidence", path, self.evidence, many=True)

    def evidence(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, None, required=False)
        self.iri(d, "id", path)

    def criteria(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, None, required=False)
        self.iri(d, "id", path)

    def alignment(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, None, required=False)
        self.url(d, "targetUrl", path)

    def badgeclass(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, _EXPECTED_TYPES["BadgeClass"], required=True)
        self.iri(d, "id", path)
        self.image(d, "image", path)
        self.iri_or_node(d, "criteria", path, self.criteria)
        self.iri_or_node(d, "issuer", path, self.issuer)
        value = d.get("alignment")
        for i, item in enumerate(value if isinstance(value, list) else [value] if value is not None else []):
            if isinstance(item, Mapping):
                self.alignment(item, join_path(join_path(path, "alignment"), i) if isinstance(value, list)
                               else join_path(path, "alignment"))

    def issuer(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, _EXPECTED_TYPES["Issuer"], required=True)
        self.iri(d, "id", path)
        self.url(d, "url", path)
        self.email(d.get("email"), join_path(path, "email"))
        self.telephone(d.get("telephone"), join_path(path, "telephone"))
        self.image(d, "image", path)
        self.iri_or_node(d, "publicKey", path, self.key)
        self.iri(d, "revocationList", path)
        self.verification(d.get("verification"), join_path(path, "verification"), assertion=False)

    def key(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, _EXPECTED_TYPES["CryptographicKey"], required=True)
        self.iri(d, "id", path)
        self.iri(d, "owner", path)

    def revocation_list(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, _EXPECTED_TYPES["RevocationList"], required=True)
        self.iri(d, "id", path)
        self.iri_or_node(d, "issuer", path, self.issuer)
        self.iri_or_node(d, "revokedAssertions", path, lambda e, p: self.iri(e, "id", p), many=True)


def _strings(value: Any, path: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield join_path(path, i), item


def _inline_context_agrees(ctx: Mapping[str, Any], kind: str) -> bool:
    """An inline context is accepted when it maps ``id``/``type`` and the OB terms it defines as OB v2 does."""
    if ctx.get("id") != "@id" or ctx.get("type") != "@type":
        return False
    ours, _ = _context_terms()
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.startswith("http")}
    legacy = {"targetFramework": _SCHEMA_ORG + "targetFramework"}  # the pre-2020 OB v2 context
    for term, definition in ctx.items():
        if term not in ours:
            continue
        target = definition.get("@id") if isinstance(definition, Mapping) else definition
        if not isinstance(target, str):
            return False
        if target in ctx and isinstance(ctx[target], Mapping):
            target = ctx[target].get("@id", target)
        prefix, sep, suffix = target.partition(":")
        full = prefixes[prefix] + suffix if sep and prefix in prefixes else target
        if full != ours[term] and full != legacy.get(term):
            return False
    type_term = {"Issuer": "Issuer", "CryptographicKey": "CryptographicKey"}.get(kind, kind)
    return type_term in ctx or kind not in _TOP_KINDS


_WALKERS = {
    "Assertion": _Checker.assertion,
    "BadgeClass": _Checker.badgeclass,
    "Issuer": _Checker.issuer,
    "CryptographicKey": _Checker.key,
    "RevocationList": _Checker.revocation_list,
    "Criteria": _Checker.criteria,
    "Evidence": _Checker.evidence,
    "AlignmentObject": _Checker.alignment,
    "IdentityObject": lambda c, d, p: c.identity(d, p),
    "VerificationObject": lambda c, d, p: c.verification(d, p, assertion=False),
    "Image": _Checker.image_object,
}


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
        data: Any = doc_or_mapping.to_dict() if kind in _TOP_KINDS else doc_or_mapping.to_node()
    elif isinstance(doc_or_mapping, (str, bytes, bytearray, memoryview)):
        try:
            data = decode_json(doc_or_mapping)
        except ValidationError as exc:
            return list(exc.issues)
    else:
        data = doc_or_mapping
    if not isinstance(data, Mapping):
        return [ValidationIssue("", "json", f"expected a JSON object, got {type(data).__name__}")]
    kind = _KIND_ALIASES.get(kind, kind) if kind is not None else detect_kind(data)
    if kind is None:
        return [ValidationIssue("type", "document_type",
                                f"not an OB 2.0 document type we know: {_short(data.get('type', '<missing>'))}")]
    if kind not in _SCHEMA_REFS:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(_SCHEMA_REFS)}")
    issues = [_schema_issue(e) for e in _validator(kind).iter_errors(data)]
    checker = _Checker()
    if kind in _TOP_KINDS:
        checker.context(data, kind)
    _WALKERS[kind](checker, data, "")
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
