"""The listing query: parsing the query parameters into a :class:`Listing`, the SQL conditions and order it
stands for, and the signed keyset cursors (see :mod:`hosting.api.listing.controllers` for the parameters)."""


from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, tuple_

from hosting.lib.body import FieldErrors
from hosting.lib.errors import InvalidInput
from hosting.lib.numbers import ascii_int
from hosting.lib.times import aware
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer

__all__ = ["CURSOR_SORTS", "DEFAULT_PER_PAGE", "FILTER_KEYS", "MAX_PER_PAGE", "SORT_KEYS", "Listing", "after",
           "conditions", "decode_cursor", "encode_cursor", "ordered", "parse_listing"]

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
MAX_VALUE_CHARS = 512
STATES = ("pending", "active", "expired", "rejected", "revoked", "replaced")
SORT_KEYS = ("created_at", "issued_at", "badge_name", "recipient")
CURSOR_SORTS = ("created_at", "issued_at")
_DATE_KEYS = ("issued_at_min", "issued_at_max", "created_at_min", "created_at_max")
FILTER_KEYS = ("query", "state", "recipient", "badge", "issuer_earner_id", *_DATE_KEYS)
_DATE_ONLY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")  # not \d: it matches every script's digits
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_CURSOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class Listing:
    """A parsed, validated listing query."""

    filters: dict[str, Any] = field(default_factory=dict)
    sort: str = "created_at"
    descending: bool = False
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    cursor: str | None = None  # None: page mode; "": the first cursor page; else a token
    include_revoked: bool = True
    include_expired: bool = True
    echo: dict[str, str] = field(default_factory=dict)  # the given parameters, for page links

    def fingerprint(self, scope: str) -> str:
        """What a cursor is bound to: the collection, the filters and the order."""
        canon = json.dumps([scope, sorted((k, _canon(v)) for k, v in self.filters.items()), self.sort,
                            self.descending, self.include_revoked, self.include_expired], default=str)
        return hashlib.sha256(canon.encode()).hexdigest()[:16]


def _canon(value: Any) -> Any:
    return sorted(value) if isinstance(value, frozenset) else value


# --- parsing ------------------------------------------------------------------------------------------------

def _text(value: str, name: str, errors: FieldErrors) -> str | None:
    value = value.strip()
    if not value:
        errors.add(name, "must not be empty", value)
    elif len(value) > MAX_VALUE_CHARS:
        errors.add(name, f"at most {MAX_VALUE_CHARS} characters", value)
    elif _CONTROL.search(value):
        errors.add(name, "must not contain control characters", value.encode("unicode_escape").decode())
    elif _SURROGATE.search(value):
        errors.add(name, "must be valid UTF-8", None)
    else:
        return value
    return None


def _choices(value: str, name: str, errors: FieldErrors, allowed: tuple[str, ...] | None) -> frozenset[str] | None:
    text = _text(value, name, errors)
    if text is None:
        return None
    items = [item.strip() for item in text.split(",")]
    bad = [item for item in items if not item or (allowed is not None and item not in allowed)]
    if bad:
        hint = f"comma-separated, from {', '.join(allowed)}" if allowed else "comma-separated, no empty items"
        errors.add(name, hint, text)
        return None
    return frozenset(items)


def _moment(value: str, name: str, errors: FieldErrors) -> datetime | None:
    """ISO 8601 date or date-time (naive means UTC) as a UTC bound; a date ``..._max`` ends that whole day."""
    text = _text(value, name, errors)
    if text is None:
        return None
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            if name.endswith("_max"):
                moment += timedelta(days=1) - timedelta(microseconds=1)
            return moment
        if len(text) < 11 or text[10] not in "Tt ":
            raise ValueError("not a date-time")
        return aware(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        errors.add(name, "must be an ISO 8601 date (2026-11-23) or date-time (2026-11-23T10:00:00Z)", text)
        return None


_FILTER_PARSERS: dict[str, Callable[[str, str, FieldErrors], Any]] = {
    "query": _text,
    "recipient": _text,
    "issuer_earner_id": _text,
    "state": lambda v, n, e: _choices(v, n, e, STATES),
    "badge": lambda v, n, e: _choices(v, n, e, None),
    **dict.fromkeys(_DATE_KEYS, _moment),
}


def _parse_filter(text: str, errors: FieldErrors) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in text.split("|"):
        if not part.strip():
            continue
        key, sep, value = part.partition("::")
        key = key.strip()
        if not sep:
            errors.add("filter", "expected key::value pairs separated by |", part)
        elif key not in _FILTER_PARSERS:
            errors.add("filter", f"unknown filter key (known: {', '.join(FILTER_KEYS)})", key)
        elif key in out:
            errors.add(f"filter.{key}", "given more than once", value)
        else:
            parsed = _FILTER_PARSERS[key](value, f"filter.{key}", errors)
            out[key] = parsed
    return {k: v for k, v in out.items() if v is not None}


def _integer(value: str | None, name: str, default: int, high: int, errors: FieldErrors) -> int:
    if value is None:
        return default
    text = value.strip()
    number = ascii_int(text)
    if number is None or not 1 <= number <= high:
        errors.add(name, f"an integer from 1 to {high}", value)
        return default
    return number


def _boolean(value: str | None, name: str, errors: FieldErrors) -> bool:
    if value is None:
        return True
    flag = _BOOLEANS.get(value.strip().lower())
    if flag is None:
        errors.add(name, "true or false", value)
        return True
    return flag


def parse_listing(params: dict[str, str | None]) -> Listing:
    """Validate the query parameters (``filter``, ``sort``, ``page``, ``per_page``, ``cursor``, ``recipient``,
    ``include_revoked``, ``include_expired``); every problem is reported in one 400 ``ValidationError``."""
    errors = FieldErrors()
    filter_text = params.get("filter")
    filters = _parse_filter(filter_text, errors) if filter_text is not None else {}
    if params.get("recipient") is not None:
        recipient = _text(params["recipient"] or "", "recipient", errors)
        if recipient is not None and filters.setdefault("recipient", recipient) != recipient:
            errors.add("recipient", "differs from filter recipient", recipient)
    sort_text = (params.get("sort") or "").strip() or "created_at"
    descending = sort_text.startswith("-")
    sort = sort_text.removeprefix("-")
    if sort not in SORT_KEYS:
        errors.add("sort", f"one of {', '.join(SORT_KEYS)}, optionally prefixed with -", params.get("sort"))
        sort, descending = "created_at", False
    cursor = params.get("cursor")
    if cursor is not None:
        cursor = cursor.strip()
        if params.get("page") is not None:
            errors.add("page", "page and cursor cannot be combined", params["page"])
        if sort not in CURSOR_SORTS:
            errors.add("sort", f"a cursor supports the sorts {', '.join(CURSOR_SORTS)} (or - descending)", sort_text)
    listing = Listing(
        filters=filters, sort=sort, descending=descending, cursor=cursor,
        page=_integer(params.get("page"), "page", 1, MAX_PAGE, errors),
        per_page=_integer(params.get("per_page"), "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE, errors),
        include_revoked=_boolean(params.get("include_revoked"), "include_revoked", errors),
        include_expired=_boolean(params.get("include_expired"), "include_expired", errors),
        echo={k: v for k, v in params.items() if v is not None and k not in ("page", "cursor")},
    )
    errors.raise_if_any()
    return listing


# --- cursors ------------------------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _cursor_box(secret: str) -> Fernet:
    """Cursors are encrypted and authenticated (Fernet), with a key of their own derived from the secret."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"openbadges-hosting",
               info=b"assertion-listing-cursor").derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encode_cursor(secret: str, fingerprint: str, value: datetime, row_id: int) -> str:
    payload = json.dumps([_CURSOR_VERSION, fingerprint, aware(value).isoformat(), row_id])
    return _cursor_box(secret).encrypt(payload.encode()).decode("ascii")


def _bad_cursor(message: str, token: str) -> InvalidInput:
    errors = FieldErrors()
    errors.add("cursor", message, token)
    return InvalidInput(f"invalid cursor: {message}", details=errors.details)


def decode_cursor(secret: str, token: str, fingerprint: str) -> tuple[datetime, int]:
    try:
        if len(token) > 1024:
            raise InvalidToken
        version, bound_to, value, row_id = json.loads(_cursor_box(secret).decrypt(token.encode("ascii")))
        if version != _CURSOR_VERSION or type(row_id) is not int or not isinstance(value, str):
            raise InvalidToken
        moment = datetime.fromisoformat(value)
    except (InvalidToken, UnicodeEncodeError, ValueError, TypeError) as exc:
        raise _bad_cursor("not a cursor this server issued (garbled or tampered)", token) from exc
    if bound_to != fingerprint:
        raise _bad_cursor("it belongs to another query: keep the filters and sort it was made with", token)
    return moment, row_id


# --- the query ----------------------------------------------------------------------------------------------

def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _recipient_key(value: str) -> str:
    """As issuing stores recipients: email addresses lower-cased, other identifiers (URL, phone) as given.

    One value, compared with ``=``, so ix_assertions_issuer_recipient serves the lookup and the order."""
    return value.lower() if "@" in value and "://" not in value else value


def _state_condition(states: frozenset[str], now: datetime) -> ColumnElement[bool]:
    live = Assertion.state == AssertionState.ACTIVE
    expired = and_(live, Assertion.expires.is_not(None), Assertion.expires < now)
    by_state: dict[str, ColumnElement[bool]] = {
        "active": and_(live, or_(Assertion.expires.is_(None), Assertion.expires >= now)),
        "expired": expired,
        "pending": Assertion.state == AssertionState.PENDING,
        "rejected": Assertion.state == AssertionState.REJECTED,
        "revoked": Assertion.state == AssertionState.REVOKED,
        "replaced": Assertion.state == AssertionState.REPLACED,
    }
    return or_(*(by_state[s] for s in sorted(states)))


def conditions(listing: Listing, issuer: Issuer, badge: BadgeClass | None,
                now: datetime) -> list[ColumnElement[bool]]:
    f = listing.filters
    where = [Assertion.badge_class_id == badge.id] if badge is not None else [Assertion.issuer_id == issuer.id]
    issuer_badges = select(BadgeClass.id).where(BadgeClass.issuer_id == issuer.id)
    if "query" in f:
        pattern = _like(f["query"])
        where.append(or_(
            func.lower(Assertion.recipient_plaintext).like(pattern, escape="\\"),
            Assertion.badge_class_id.in_(issuer_badges.where(func.lower(BadgeClass.name).like(pattern, escape="\\"))),
        ))
    if "state" in f:
        where.append(_state_condition(f["state"], now))
    if not listing.include_revoked:
        where.append(Assertion.state != AssertionState.REVOKED)
    if not listing.include_expired:
        where.append(~_state_condition(frozenset({"expired"}), now))
    if "recipient" in f:
        where.append(Assertion.recipient_plaintext == _recipient_key(f["recipient"]))
    if "badge" in f:
        refs = sorted(f["badge"])
        where.append(Assertion.badge_class_id.in_(
            issuer_badges.where(or_(BadgeClass.public_id.in_(refs), BadgeClass.slug.in_(refs)))))
    if "issuer_earner_id" in f:
        where.append(Assertion.issuer_earner_id == f["issuer_earner_id"])
    for key, column in (("issued_at", Assertion.issued_on), ("created_at", Assertion.created_at)):
        if f"{key}_min" in f:
            where.append(column >= f[f"{key}_min"])
        if f"{key}_max" in f:
            where.append(column <= f[f"{key}_max"])
    return where


def _sort_column(sort: str) -> Any:
    return {"created_at": Assertion.created_at, "issued_at": Assertion.issued_on,
            "badge_name": BadgeClass.name, "recipient": Assertion.recipient_plaintext}[sort]


def ordered(query: Select[Any], listing: Listing) -> Select[Any]:
    column = _sort_column(listing.sort)
    if listing.sort == "badge_name":
        query = query.join(BadgeClass, BadgeClass.id == Assertion.badge_class_id)
    if listing.descending:
        return query.order_by(column.desc().nulls_last(), Assertion.id.desc())
    return query.order_by(column.asc().nulls_last(), Assertion.id.asc())


def after(listing: Listing, value: datetime, row_id: int) -> ColumnElement[bool]:
    """Keyset condition: rows strictly after (value, id) in the listing's order."""
    column = _sort_column(listing.sort)
    here = tuple_(column, Assertion.id)
    there = tuple_(literal(aware(value), column.type), literal(row_id, Assertion.id.type))
    return here < there if listing.descending else here > there
