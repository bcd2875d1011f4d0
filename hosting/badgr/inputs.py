"""Reading Badgr v2 request bodies into our values: issuers, badge classes, awards. Every problem goes to a
:class:`~hosting.lib.body.FieldErrors` under the Badgr field name (``fieldErrors`` in the envelope)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

import msgspec

from hosting.api.assertions.inputs import parse_moment
from hosting.api.badges.inputs import check_candidate
from hosting.api.badges.shapes import Alignment
from hosting.api.issuers import check_issuer_links
from hosting.lib.body import FieldErrors
from hosting.lib.urls import PublicUrls
from hosting.storage.models import BadgeClass, utcnow
from hosting.storage.store import Award

__all__ = ["LONG_TEXT", "award_from", "badge_fields", "check_badge", "flag", "image_change", "issuer_fields",
           "moment"]

LONG_TEXT = 16_384
_MAX_EVIDENCE = 50
# Badgr echoes these back on GET-then-PUT; they are ignored on input.
READ_ONLY = frozenset({"entityType", "entityId", "openBadgeId", "createdAt", "createdBy", "staff", "extensions",
                       "issuerOpenBadgeId", "badgeclassOpenBadgeId", "acceptance", "revoked", "revocationReason",
                       "badgrDomain", "sourceUrl", "originalJson", "organizationId", "image_url"})


def _nullable_text(errors: FieldErrors, data: dict[str, Any], field: str, max_len: int) -> str | None:
    """``data[field]`` as text within ``max_len``; null (like an absent field) is no value."""
    return None if data.get(field) is None else errors.text(data, field, max_len=max_len)


def flag(data: dict[str, Any], name: str, default: bool, errors: FieldErrors) -> bool:
    value = data.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    errors.add(name, "must be true or false", value)
    return default


def moment(data: dict[str, Any], name: str, errors: FieldErrors) -> datetime | None:
    """An ISO 8601 date or date-time in the forms Badgr clients send (``2024-05-01 10:00:00Z`` too); UTC."""
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors.add(name, "must be an ISO 8601 date or date-time", value)
        return None
    return parse_moment(name, value.strip().replace("z", "Z"), errors)


def image_change(data: dict[str, Any], own_url: str) -> Any:
    """The new image an update body gives, for :func:`hosting.api.images.read_image` as on create: the bytes
    :func:`~hosting.api.images.prefetch_image` fetched from an http(s) URL, or a ``data:`` URI. ``None`` keeps the
    current image: ``image`` absent, null or empty, or this entity's own image URL echoed back (GET-then-PUT)."""
    value = data.get("image")
    if value is None or (isinstance(value, (str, bytes)) and not value.strip()):
        return None
    if isinstance(value, str) and value.strip() == own_url:
        return None
    return value


def _unknown(data: dict[str, Any], known: set[str], errors: FieldErrors) -> None:
    for name in sorted(set(data) - known - READ_ONLY):
        errors.add(name, "unknown field", None)


def issuer_fields(data: dict[str, Any], errors: FieldErrors, *, creating: bool,
                  replacing: bool = False) -> dict[str, Any]:
    """name, email, url, description (image: read by the caller). ``creating`` requires name, email and url;
    ``replacing`` (Badgr's PUT) all four, as its body is specified; otherwise (PATCH) the fields given change."""
    _unknown(data, {"name", "email", "url", "description", "image"}, errors)
    out: dict[str, Any] = {}
    whole = creating or replacing
    if whole or "name" in data:
        out["name"] = errors.text(data, "name", required=True, max_len=255)
    if whole or "url" in data:
        out["url"] = errors.url(data, "url", required=True)
    if whole or "email" in data:
        out["email"] = errors.email(data, "email", required=True)
    if replacing:
        out["description"] = errors.text(data, "description", required=True, max_len=LONG_TEXT)
    elif "description" in data:
        out["description"] = _nullable_text(errors, data, "description", LONG_TEXT) or None
    check_issuer_links(out, errors)
    return out


_BADGE_ALIASES = {"criteria_url": "criteriaUrl", "criteria_text": "criteriaNarrative"}


EXPIRY_DURATIONS = ("days", "weeks", "months", "years")
_MAX_EXPIRY_AMOUNT = 1000


def _badge_expiry(value: Any, errors: FieldErrors) -> tuple[int | None, str | None]:
    """Badgr's ``{"amount": N, "duration": "days|weeks|months|years"}`` (null: none)."""
    if value is None:
        return None, None
    amount = value.get("amount") if isinstance(value, dict) else None
    duration = value.get("duration") if isinstance(value, dict) else None
    if (not isinstance(value, dict) or set(value) - {"amount", "duration"} or isinstance(amount, bool)
            or not isinstance(amount, int) or not 1 <= amount <= _MAX_EXPIRY_AMOUNT
            or duration not in EXPIRY_DURATIONS):
        errors.add("expires", f"{{amount: 1..{_MAX_EXPIRY_AMOUNT}, duration: days|weeks|months|years}} or null",
                   None)
        return None, None
    return amount, duration


def expires_after(start: datetime, amount: int, duration: str) -> datetime:
    """``start`` plus a badge class expiry (months and years end on the month's last day when it is shorter)."""
    if duration in ("days", "weeks"):
        return start + timedelta(days=amount * (7 if duration == "weeks" else 1))
    months = start.month - 1 + amount * (12 if duration == "years" else 1)
    year, month = start.year + months // 12, months % 12 + 1
    return start.replace(year=year, month=month, day=min(start.day, calendar.monthrange(year, month)[1]))


def badge_fields(data: dict[str, Any], errors: FieldErrors, *, creating: bool) -> dict[str, Any]:
    """Column values from a Badgr badge class body (``criteria_url``/``criteria_text`` accepted as aliases)."""
    data = dict(data)
    for alias, name in _BADGE_ALIASES.items():
        if alias in data:
            if name in data:
                errors.add(alias, f"given twice (as {alias} and {name})", None)
            data[name] = data.pop(alias)
    _unknown(data, {"name", "description", "image", "criteriaUrl", "criteriaNarrative", "tags", "issuer",
                    "achievementType", "imageAltText", "archived", "expires", "alignments"}, errors)
    out: dict[str, Any] = {}
    if data.get("archived") is not None:  # an archived class refuses issuing (the store's rule, as on /v1)
        out["archived"] = flag(data, "archived", False, errors)
    if "expires" in data:
        out["expires_amount"], out["expires_duration"] = _badge_expiry(data["expires"], errors)
    if creating or "name" in data:
        out["name"] = errors.text(data, "name", required=True, max_len=255)
    if creating or "description" in data:
        out["description"] = errors.text(data, "description", required=True, max_len=LONG_TEXT)
    if creating and data.get("image") in (None, ""):
        errors.add("image", "required (a data: URI or an http(s) URL)", None)
    if "criteriaUrl" in data:
        out["criteria_url"] = errors.url(data, "criteriaUrl") if data["criteriaUrl"] not in (None, "") else None
    if "criteriaNarrative" in data:
        out["criteria_narrative"] = _nullable_text(errors, data, "criteriaNarrative", LONG_TEXT) or None
    for name, column, max_len in (("achievementType", "achievement_type", 255),
                                  ("imageAltText", "image_alt_text", 1024)):
        if name in data:
            out[column] = _nullable_text(errors, data, name, max_len) or None
    if "alignments" in data:
        out["alignment"] = _alignments(data["alignments"], errors)
    if "tags" in data:
        tags = data["tags"] if data["tags"] is not None else []
        if not isinstance(tags, list) or len(tags) > 50 or not all(isinstance(t, str) and 0 < len(t) <= 255
                                                                    for t in tags):
            errors.add("tags", "a list of at most 50 strings", None)
        else:
            out["tags"] = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
    return out


_MAX_ALIGNMENTS = 50


def _alignments(value: Any, errors: FieldErrors) -> list[dict[str, str]]:
    """Badgr's ``alignments``: ``[{targetName, targetUrl, targetDescription, targetFramework, targetCode}]`` (the
    first two required; null: none), stored as ``/v1``'s ``alignment``."""
    if value is None:
        return []
    try:
        items = msgspec.convert(value, list[Alignment])
    except msgspec.ValidationError as exc:
        errors.add("alignments", f"a list of {{targetName, targetUrl, targetDescription, targetFramework, "
                                 f"targetCode}}: {exc}", None)
        return []
    if len(items) > _MAX_ALIGNMENTS:
        errors.add("alignments", f"at most {_MAX_ALIGNMENTS}", None)
        return []
    return [{k: v for k, v in msgspec.structs.asdict(item).items() if v is not None} for item in items]


_BADGR_NAMES = {"criteria": "criteriaNarrative", "criteria.id": "criteriaUrl", "criteria.narrative": "criteriaNarrative"}


def check_badge(candidate: BadgeClass, urls: PublicUrls, errors: FieldErrors) -> None:
    """The badge class as it would be stored must make a valid public BadgeClass document (Badgr's names)."""
    check_candidate(candidate, urls, errors, _BADGR_NAMES)


def _recipient(data: dict[str, Any], errors: FieldErrors) -> tuple[str, str, bool] | None:
    raw = data.get("recipient")
    if not isinstance(raw, dict):
        errors.add("recipient", "required: {identity, type, hashed}", None)
        return None
    for name in sorted(set(raw) - {"identity", "type", "hashed", "plaintextIdentity", "salt"}):
        errors.add(f"recipient.{name}", "unknown field", None)
    rtype = raw.get("type") or "email"
    hashed = flag(raw, "hashed", True, errors)
    if rtype == "email":
        value = errors.email({"recipient.identity": raw.get("identity")}, "recipient.identity", required=True)
    elif rtype == "url":
        value = errors.url({"recipient.identity": raw.get("identity")}, "recipient.identity", required=True)
    elif rtype == "telephone":
        value = errors.text({"recipient.identity": raw.get("identity")}, "recipient.identity", required=True,
                            max_len=32)
    else:
        errors.add("recipient.type", "email, url or telephone", rtype)
        return None
    return None if value is None else (value, rtype, hashed)


def _evidence(data: dict[str, Any], errors: FieldErrors) -> tuple[dict[str, Any], ...]:
    items = data.get("evidence") or []
    if not isinstance(items, list) or len(items) > _MAX_EVIDENCE:
        errors.add("evidence", f"a list of at most {_MAX_EVIDENCE} objects {{url, narrative}}", None)
        return ()
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        where = f"evidence[{i}]"
        if not isinstance(item, dict) or not (item.get("url") or item.get("narrative")):
            errors.add(where, "an object with url and/or narrative", None)
            continue
        url = errors.url({f"{where}.url": item["url"]}, f"{where}.url") if item.get("url") else None
        narrative = (errors.text({f"{where}.narrative": item["narrative"]}, f"{where}.narrative", max_len=LONG_TEXT)
                     if item.get("narrative") else None)
        out.append({"type": "Evidence", **({"id": url} if url else {}), **({"narrative": narrative}
                                                                            if narrative else {})})
    return tuple(out)


AWARD_FIELDS = frozenset({"recipient", "issuedOn", "narrative", "evidence", "expires", "notify",
                          "allowDuplicateAwards", "badgeclass", "badgeclassOpenBadgeId", "extensions", "issuer",
                          "image", "entityType", "entityId", "openBadgeId", "createdAt", "createdBy",
                          "issuerOpenBadgeId", "acceptance", "revoked", "revocationReason"})


def award_from(data: Any, errors: FieldErrors, *, defaults: dict[str, Any] | None = None,
               badge: BadgeClass | None = None, created_by: str | None = None) -> tuple[Award | None, bool]:
    """An :class:`Award` (and its ``notify`` flag) from one Badgr assertion body, issued by ``created_by``.

    ``allowDuplicateAwards`` keeps Badgr's meaning: true (the default) issues whatever the recipient holds;
    false refuses whenever the recipient already holds the badge class.
    """
    defaults = defaults or {}
    if not isinstance(data, dict):
        errors.add("assertion", "must be an object", None)
        return None, False
    for name in sorted(set(data) - AWARD_FIELDS):
        errors.add(name, "unknown field", None)
    before = len(errors.details)
    recipient = _recipient(data, errors)
    issued_on = moment(data, "issuedOn", errors)
    expires = moment(data, "expires", errors)
    if (expires is None and data.get("expires") is None and badge is not None and badge.expires_amount
            and badge.expires_duration):  # the badge class's default lifetime
        expires = expires_after(issued_on or utcnow(), badge.expires_amount, badge.expires_duration)
    if expires is not None and expires <= (issued_on or utcnow()):
        errors.add("expires", "must be after issuedOn (now, when issuedOn is not given)", data.get("expires"))
    narrative = _nullable_text(errors, data, "narrative", LONG_TEXT) or None
    evidence = _evidence(data, errors)
    allow = flag(data, "allowDuplicateAwards", defaults.get("allowDuplicateAwards", True), errors)
    notify = flag(data, "notify", defaults.get("notify", False), errors)
    if len(errors.details) > before or recipient is None:
        return None, notify
    identity, rtype, hashed = recipient
    return Award(recipient=identity, recipient_type=rtype, hashed=hashed, issued_on=issued_on, expires=expires,
                 narrative=narrative, evidence=evidence, allow_duplicate=True, refuse_if_held=not allow,
                 created_by=created_by), notify
