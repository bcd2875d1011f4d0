"""One verification's access to linked documents: limits, time budget, cache, validation."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import msgspec

from openbadges_core._errors import FetchError, OpenBadgesError, ParseError, ValidationIssue
from openbadges_core._json import loads
from openbadges_core._jws import decode_jws_unverified
from openbadges_core._keyio import load_public_key
from openbadges_core._net import DEFAULT_ACCEPT, FetchResponse
from openbadges_core._ob2._validation import document_issues
from openbadges_core._verify._options import VerifyOptions
from openbadges_core._verify._report import VerificationReport

__all__ = ["JSON_MEDIA_TYPES", "LinkedDocument", "Session", "decode_jws_object", "has_type", "is_http_url",
           "parse_json_object"]

JSON_MEDIA_TYPES = frozenset({"application/ld+json", "application/json"})


def is_http_url(value: object) -> bool:
    """An absolute http(s) URL (scheme and host). Short strings are memoised: the same issuer, badge and
    key URLs come back in every verification, and ``urlsplit`` is a visible share of a signed one."""
    if not isinstance(value, str):
        return False
    if len(value) <= _MEMO_MAX_CHARS:
        return _is_http_url_memo(value)
    return _is_http_url(value)


_MEMO_MAX_CHARS = 2048  # bounds the memo at ~2048 entries x 2 KiB, whatever hostile input brings


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


_is_http_url_memo = lru_cache(maxsize=2048)(_is_http_url)


_TYPE_NAMES: dict[str, frozenset[str]] = {
    kind: frozenset(n for alias in aliases for n in (alias, f"https://w3id.org/openbadges#{alias}"))
    for kind, aliases in {
        "Assertion": ("Assertion",), "BadgeClass": ("BadgeClass",), "Issuer": ("Issuer", "Profile"),
        "CryptographicKey": ("CryptographicKey", "Key"), "RevocationList": ("RevocationList",),
    }.items()
}


def has_type(data: Mapping[str, Any], expected: str) -> bool:
    """``type`` (a string or a list) names ``expected`` (bare or as the OB 2.0 IRI; Profile for Issuer)."""
    names = _TYPE_NAMES.get(expected) or frozenset({expected})
    declared = data.get("type")
    if isinstance(declared, list):
        return any(isinstance(n, str) and n in names for n in declared)
    return isinstance(declared, str) and declared in names


def parse_json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or ``None`` when it is not one (or nests deeper than
    :data:`~openbadges_core._json.MAX_JSON_DEPTH`)."""
    try:
        data = loads(body)
    except ParseError:
        return None
    return data if isinstance(data, dict) else None


def decode_jws_object(report: VerificationReport, check: str, token: str, what: str, *,
                      decoded: tuple[dict[str, Any], bytes, dict[str, Any] | None] | None = None,
                      ) -> tuple[dict[str, Any], bytes, dict[str, Any]] | None:
    """(header, payload bytes, payload object) of the compact JWS ``token``, unverified; ``decoded``: the same
    already decoded in this verification. ``None`` after failing ``check`` when the token is malformed or its
    payload is not a JSON object (``what`` names the token in the message: ``"JWS"``, ``"JWT"``)."""
    if decoded is None:
        try:
            header, payload = decode_jws_unverified(token)
        except OpenBadgesError as exc:
            report.fail(check, f"not a well-formed compact {what}: {exc.message}")
            return None
        decoded = header, payload, parse_json_object(payload)
    header, payload, data = decoded
    if data is None:
        report.fail(check, f"the {what} payload is not a JSON object")
        return None
    return header, payload, data


_ISSUES: dict[tuple[str, bytes] | tuple[str, str, bytes], list[ValidationIssue]] = {}
_ISSUES_MAX = 1024
#: Documents up to this size are remembered under their own bytes (a dict lookup compares them in full);
#: larger ones under their SHA-256, so the memory stays bounded (~1024 x 4 KiB).
_ISSUES_RAW_KEY_MAX = 4096


def cached_document_issues(data: Mapping[str, Any], expected_type: str,
                           raw: bytes | None = None) -> list[ValidationIssue]:
    """:func:`document_issues_of`, remembered by content (``raw``, the document's bytes, or its JSON
    encoding; up to 4 KiB the bytes themselves are the key, beyond that their SHA-256): a badge verified
    again, or a preloaded document, is not validated again. The list is shared: read it, do not change it."""
    try:
        content = raw if raw is not None else msgspec.json.encode(data)
    except (TypeError, msgspec.EncodeError):
        return document_issues_of(data, expected_type)
    key: tuple[str, bytes] | tuple[str, str, bytes] = (
        (expected_type, content) if len(content) <= _ISSUES_RAW_KEY_MAX
        else (expected_type, "sha256", hashlib.sha256(content).digest()))
    issues = _ISSUES.get(key)
    if issues is None:
        issues = document_issues_of(data, expected_type)
        if len(_ISSUES) >= _ISSUES_MAX:
            try:
                _ISSUES.pop(next(iter(_ISSUES)), None)
            except (RuntimeError, StopIteration):  # another thread changed it meanwhile
                pass
        _ISSUES[key] = issues
    return issues


def document_issues_of(data: Mapping[str, Any], expected_type: str) -> list[ValidationIssue]:
    """Schema and rule issues of a document that should be of ``expected_type``; never raises."""
    if not has_type(data, expected_type):
        return [ValidationIssue("type", "type", f"expected a {expected_type}, got type {data.get('type')!r}")]
    try:
        return list(document_issues(data, kind=expected_type))
    except OpenBadgesError as exc:
        return [ValidationIssue("", exc.code, exc.message)]
    except Exception as exc:  # noqa: BLE001 - a validator bug must not crash a verification
        return [ValidationIssue("", "validator_error", f"{type(exc).__name__}: {exc}")]


def record_validation(report: VerificationReport, name: str, what: str, issues: list[ValidationIssue]) -> bool:
    """Add the ``validate_*`` check; True when the document had no issues."""
    if issues:
        shown = "; ".join(str(i) for i in issues[:5]) + (f" (+{len(issues) - 5} more)" if len(issues) > 5 else "")
        report.fail(name, f"{what} is not valid: {shown}", issues=[i.to_dict() for i in issues])
        return False
    report.ok(name, f"{what} is valid")
    return True


@dataclass(slots=True, weakref_slot=True)
class LinkedDocument:
    """A fetched (or preloaded) document with its validation result and, for keys, the parsed key."""

    url: str
    data: dict[str, Any]
    issues: list[ValidationIssue]
    kind: str = ""
    content_type: str = ""
    public_key: Any = None
    key_error: str | None = None
    source: str = "fetched"
    notes: list[str] = field(default_factory=list)
    #: the URL the document came from after redirects (its id must be this or ``url``; see _ob2)
    fetched_from: str = ""
    #: For a RevocationList: its index (see ``index_revocations``), built on first use; ``False``: unindexable.
    revocations: Any = None


class Session:
    """Fetching for one verification: counts documents, keeps the time budget, uses the cache."""

    def __init__(self, options: VerifyOptions, report: VerificationReport) -> None:
        self.options = options
        self.report = report
        self.fetcher, self.policy = options.resolved_fetcher()
        self.cache = options.resolved_cache()
        self.deadline = time.monotonic() + options.total_timeout
        self.fetched = 0
        self.depth = 0
        self._parent: Session | None = None
        #: documents fetched during this verification (and its nested ones), by URL: fetched once
        self.seen: dict[str, Any] = {}
        #: linked documents this verification took from the document cache, by URL (see ``_chain``)
        self.cache_hits: dict[str, LinkedDocument] = {}

    def child(self, report: VerificationReport) -> Session:
        """A session for a nested document (an endorsement, a status list): its own report, the same
        budget, cache and document count."""
        child = Session.__new__(Session)
        child.options, child.report, child.fetcher, child.policy = self.options, report, self.fetcher, self.policy
        child.cache, child.deadline, child.fetched = self.cache, self.deadline, self.fetched
        child.depth, child._parent, child.seen = self.depth + 1, self, self.seen
        child.cache_hits = {}
        return child

    def _count(self) -> None:
        self.fetched += 1
        if self._parent is not None:
            self._parent._count()

    def fetch(self, url: str, check: str, *, record: bool = True,
              accept: str = DEFAULT_ACCEPT) -> FetchResponse | None:
        """Fetch ``url``; on failure record ``check`` as failed (unless not ``record``) and return ``None``."""
        report = self.report if record else VerificationReport()
        if self.fetched >= self.options.max_documents:
            report.fail(check, f"not fetching {url}: this verification already fetched "
                             f"{self.fetched} documents (max_documents)", code="too_many_documents", url=url)
            return None
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            report.fail(check, f"not fetching {url}: the verification's time budget is spent",
                             code="fetch_timeout", url=url)
            return None
        self._count()
        try:
            return self.fetcher.fetch(url, accept=accept, timeout=remaining)
        except FetchError as exc:
            message = exc.message if url in exc.message else f"cannot fetch {url}: {exc.message}"
            report.fail(check, message, code=exc.code, url=url)
        except Exception as exc:  # noqa: BLE001 - a custom fetcher bug is a failed check
            report.fail(check, f"cannot fetch {url}: {type(exc).__name__}: {exc}", code="fetch_error",
                             url=url)
        return None

    def linked(self, url: str, expected_type: str, check: str) -> LinkedDocument | None:
        """A linked document (issuer, badge class, key, revocation list): preloaded, cached or fetched."""
        documents = self.options.documents
        preloaded = documents.get(url) if documents else None
        if preloaded is not None:
            doc = self._build(url, dict(preloaded), expected_type, "", "preloaded")
            self.report.ok(check, f"{expected_type} {url} was preloaded", url=url, source="preloaded")
            return doc
        if self.cache is not None:
            hit = self.cache.get(self.policy, url)
            if isinstance(hit, LinkedDocument) and hit.kind == expected_type:
                self.report.ok(check, f"{expected_type} {url} (cached)", url=url, source="cache")
                self.cache_hits[url] = hit
                return hit
        res = self.fetch(url, check)
        if res is None:
            return None
        if res.status_code != 200:
            self.report.fail(check, f"{url} answered HTTP {res.status_code}, not 200", code="http_status",
                             url=url, status=res.status_code)
            return None
        data = parse_json_object(res.body)
        if data is None:
            self.report.fail(check, f"{url} did not return a JSON object ({res.media_type or 'no content type'})",
                             code="not_json", url=url)
            return None
        doc = self._build(url, data, expected_type, res.media_type, "fetched")
        doc.fetched_from = res.url
        if res.media_type not in JSON_MEDIA_TYPES:
            doc.notes.append(f"{url} is served as {res.media_type or 'no content type'}, not JSON")
        if self.cache is not None:
            self.cache.put(self.policy, url, doc)
        self.report.ok(check, f"fetched {expected_type} {url}", url=url, source="network")
        return doc

    @staticmethod
    def _build(url: str, data: dict[str, Any], expected_type: str, content_type: str,
               source: str) -> LinkedDocument:
        doc = LinkedDocument(url, data, cached_document_issues(data, expected_type), expected_type, content_type,
                             source=source)
        if expected_type == "CryptographicKey":
            pem = data.get("publicKeyPem")
            if not isinstance(pem, str):
                doc.key_error = "the key document has no publicKeyPem"
            else:
                try:
                    doc.public_key = load_public_key(pem)
                except OpenBadgesError as exc:
                    doc.key_error = f"publicKeyPem cannot be loaded: {exc.message}"
                except Exception as exc:  # noqa: BLE001 - hostile key material
                    doc.key_error = f"publicKeyPem cannot be loaded: {type(exc).__name__}"
        return doc
