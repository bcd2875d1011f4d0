"""The rules of OB 2.0 documents that a JSON Schema cannot express, as one walker over the JSON.

Tolerant of wrong JSON types everywhere: those are the schema's to report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from openbadges_core._errors import ValidationError, ValidationIssue
from openbadges_core._ob2._context import (
    EXPECTED_TYPES,
    OB2_CONTEXT_URLS,
    SCHEMA_ORG,
    VERIFICATION_TYPES,
    context_terms,
    expand_term,
    is_http_url,
    is_iri,
    is_type_iri,
)
from openbadges_core._ob2._model import OB2_CONTEXT, join_path, parse_datetime

TOP_KINDS = ("Assertion", "BadgeClass", "Issuer", "CryptographicKey", "RevocationList")

_DATA_IMAGE = re.compile(r"data:image/[A-Za-z0-9.+-]+(;[^,]*)?,", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+\Z")
# [0-9], not \d: \d matches every script's digits ("+١٦١٧٥٥٥١٢١٢", "example.org:٨٠")
_TELEPHONE = re.compile(r"\+?[1-9][0-9]{1,14}(;ext=[0-9]+)?\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_AUTHORITY = re.compile(rf"(?=[^:]{{1,253}}(:|\Z)){_LABEL}(\.{_LABEL})*(:[0-9]{{1,5}})?\Z")


def short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Checker:
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
        if is_iri(value) or (image and _DATA_IMAGE.match(value)):
            return
        allowed = "an http(s) URL, urn:uuid: or _: blank node" + (" or data:image/ URI" if image else "")
        self.add(path, "iri", f"{short(value)} is not {allowed}")

    def url(self, data: Mapping[str, Any], key: str, path: str) -> None:
        for p, value in _strings(data.get(key), join_path(path, key)):
            if not is_http_url(value):
                self.add(p, "url", f"{short(value)} is not an absolute http(s) URL")

    def email(self, value: Any, path: str) -> None:
        if isinstance(value, str) and not _EMAIL.match(value):
            self.add(path, "email", f"{short(value)} does not look like an e-mail address")

    def telephone(self, value: Any, path: str) -> None:
        if isinstance(value, str) and not _TELEPHONE.match(value):
            self.add(path, "telephone", f"{short(value)} is not an E.164 telephone number (e.g. +16175551212)")

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
            if isinstance(entry, str) and not is_type_iri(entry):
                sub = where if isinstance(value, str) else join_path(where, i)
                self.add(sub, "type", f"{short(entry)} is neither a term of the OB v2 context nor an IRI")
        if expected is not None and not any(isinstance(e, str) and expand_term(e) in expected for e in entries):
            names = ", ".join(sorted(e.rsplit("#", 1)[-1] for e in expected))
            self.add(where, "type", f"type must include {names} (got {short(value)})")

    def context(self, data: Mapping[str, Any], kind: str) -> None:
        if "@context" not in data:
            self.add("@context", "context", f"a top-level document needs \"@context\": \"{OB2_CONTEXT}\"")
            return
        ctx = data["@context"]
        entries = ctx if isinstance(ctx, list) else [ctx]
        if any(isinstance(e, str) and e in OB2_CONTEXT_URLS for e in entries):
            return
        inline = [e for e in entries if isinstance(e, Mapping)]
        if inline and all(_inline_context_agrees(e, kind) for e in inline):
            return
        self.add("@context", "context", f"@context {short(ctx)} is not the Open Badges v2 context {OB2_CONTEXT}")

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
        elif kind == "url" and not is_http_url(value):
            self.add(where, "url", f"{short(value)} is not an absolute http(s) URL")
        elif kind == "id":
            self.iri_value(value, where)

    def verification(self, data: Any, path: str, *, assertion: bool) -> None:
        if not isinstance(data, Mapping):
            return
        self.rdf_type(data, path, None, required=assertion)
        value = data.get("type")
        entries = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if assertion and entries and not any(isinstance(e, str) and expand_term(e) in VERIFICATION_TYPES
                                             for e in entries):
            self.add(join_path(path, "type"), "verification.type",
                     f"{short(value)} is not HostedBadge (hosted) or SignedBadge (signed)")
        self.iri(data, "creator", path)
        self.url(data, "startsWith", path)
        for p, origin in _strings(data.get("allowedOrigins"), join_path(path, "allowedOrigins")):
            if not _AUTHORITY.match(origin):
                self.add(p, "url_authority", f"{short(origin)} is not a host name (like example.org)")
        prop = data.get("verificationProperty")
        if isinstance(prop, str) and not (prop in context_terms()[1] or is_type_iri(prop)):
            self.add(join_path(path, "verificationProperty"), "compact_iri",
                     f"{short(prop)} is not a term of the OB v2 context, a compact IRI or an IRI")

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
        self.rdf_type(d, path, EXPECTED_TYPES["Assertion"], required=True)
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
        self.rdf_type(d, path, EXPECTED_TYPES["BadgeClass"], required=True)
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
        self.rdf_type(d, path, EXPECTED_TYPES["Issuer"], required=True)
        self.iri(d, "id", path)
        self.url(d, "url", path)
        self.email(d.get("email"), join_path(path, "email"))
        self.telephone(d.get("telephone"), join_path(path, "telephone"))
        self.image(d, "image", path)
        self.iri_or_node(d, "publicKey", path, self.key, many=True)
        self.iri(d, "revocationList", path)
        self.verification(d.get("verification"), join_path(path, "verification"), assertion=False)

    def key(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, EXPECTED_TYPES["CryptographicKey"], required=True)
        self.iri(d, "id", path)
        self.iri(d, "owner", path)

    def revocation_list(self, d: Mapping[str, Any], path: str) -> None:
        self.rdf_type(d, path, EXPECTED_TYPES["RevocationList"], required=True)
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
    ours, _ = context_terms()
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.startswith("http")}
    legacy = {"targetFramework": SCHEMA_ORG + "targetFramework"}  # the pre-2020 OB v2 context
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
    return type_term in ctx or kind not in TOP_KINDS


WALKERS: dict[str, Callable[[Checker, Any, str], None]] = {
    "Assertion": Checker.assertion,
    "BadgeClass": Checker.badgeclass,
    "Issuer": Checker.issuer,
    "CryptographicKey": Checker.key,
    "RevocationList": Checker.revocation_list,
    "Criteria": Checker.criteria,
    "Evidence": Checker.evidence,
    "AlignmentObject": Checker.alignment,
    "IdentityObject": lambda c, d, p: c.identity(d, p),
    "VerificationObject": lambda c, d, p: c.verification(d, p, assertion=False),
    "Image": Checker.image_object,
    "RevokedAssertion": lambda c, d, p: c.iri(d, "id", p),
}
