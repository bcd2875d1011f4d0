"""Credly request bodies → :class:`~hosting.storage.store.Award`: the fields of Credly's "Issue a Badge", its
timestamp forms and its three evidence types, mapped to OB 2.0 Evidence by :mod:`hosting.lib.evidence`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from hosting.lib.body import FieldErrors
from hosting.lib.evidence import ob_evidence
from hosting.lib.times import YEARS, utc_within_years
from hosting.storage.models import Acceptance
from hosting.storage.store import Award

__all__ = ["ISSUE_FIELDS", "LOCALES", "award_from", "mail_extra", "parse_date", "parse_moment"]

LOCALES = ("en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US")
ISSUE_FIELDS = frozenset({
    "recipient_email", "issued_to_first_name", "issued_to_last_name", "badge_template_id", "issued_at",
    "issued_to", "user_id", "expires_at", "issuer_earner_id", "locale", "suppress_badge_notification_email",
    "evidence", "notification_message"})
_MAX_EVIDENCE = 100


def _written(value: str) -> datetime:
    """The moment in the offset it is written with (UTC without one), within the years taken."""
    return _in_range(_parsed(value.strip()))


def _parsed(text: str) -> datetime:
    for form in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(text, form)
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("a timestamp such as 2014-04-01 09:41:00 -0500 or 2014-04-01T14:41:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _in_range(moment: datetime) -> datetime:
    """``moment`` when it and its UTC instant lie in the years taken (as on ``/v1``); ``ValueError`` otherwise."""
    try:
        utc_within_years(moment)
    except ValueError:
        raise ValueError(f"a moment between the years {YEARS[0]} and {YEARS[1]} (in UTC too)") from None
    return moment


def parse_moment(value: str) -> datetime:
    """Credly's timestamp forms: ``2014-04-01 09:41:00 -0500``, ISO 8601 (``…T…Z``, offsets), a bare date;
    without an offset, UTC; in UTC. ``ValueError`` otherwise."""
    return _written(value).astimezone(UTC)


def parse_date(value: str) -> date:
    """``YYYY-MM-DD`` (the filters' dates); ``ValueError`` otherwise."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a date YYYY-MM-DD")
    return date.fromisoformat(value)


def _moment(data: dict[str, Any], field: str, errors: FieldErrors, *, required: bool) -> datetime | None:
    """The timestamp ``field``, in the offset it is written with (its calendar day is Credly's ``…_date``)."""
    value = data.get(field)
    if value is None or isinstance(value, str) and not value.strip():  # "" is not given, as null
        if required:
            errors.add(field, "can't be blank", None)
        return None
    if not isinstance(value, str):
        errors.add(field, "must be a timestamp string", value)
        return None
    try:
        return _written(value)
    except ValueError as exc:
        errors.add(field, str(exc), value)
        return None


def _evidence_item(item: Any, where: str, errors: FieldErrors) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        errors.add(where, "must be an object", None)
        return None
    sub = FieldErrors()
    out = ob_evidence(item, sub)
    for detail in sub.details:
        errors.add(f"{where}.{detail['field']}", detail["message"], detail["value"])
    return out


def _evidence(value: Any, errors: FieldErrors) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > _MAX_EVIDENCE:
        errors.add("evidence", f"a list of at most {_MAX_EVIDENCE} evidence objects", None)
        return ()
    made = [_evidence_item(item, f"evidence[{i}]", errors) for i, item in enumerate(value)]
    return tuple(m for m in made if m is not None)


def _name(data: dict[str, Any], field: str, errors: FieldErrors) -> str | None:
    value = errors.text(data, field, max_len=120)
    if value is None and data.get(field) is None:
        errors.add(field, "can't be blank", None)
    elif value == "":
        errors.add(field, "can't be blank", value)
    return value


def mail_extra(data: Any) -> dict[str, str]:
    """The email's extra context from a validated issue/replace body: its ``notification_message``, if any."""
    message = data.get("notification_message") if isinstance(data, dict) else None
    return {"notification_message": message.strip()} if isinstance(message, str) and message.strip() else {}


def award_from(data: Any, errors: FieldErrors, *, earner_accepts: bool, recipient_required: bool = True,
               created_by: str | None = None) -> tuple[Award | None, str | None, bool, tuple[str, str] | None]:
    """(award, ``badge_template_id``, notify, (first name, last name)) from a Credly issue/replace body; problems
    go to ``errors``. The names are stored apart and joined as the recipient's name (``issued_to`` when given).
    ``created_by``: the issuing user's email (recorded as on ``/v1`` and ``/v2``)."""
    if not isinstance(data, dict):
        errors.add("base", "the body must be a JSON object", None)
        return None, None, False, None
    for name in sorted(set(data) - ISSUE_FIELDS):
        errors.add(name, "unknown field", None)
    email = errors.email(data, "recipient_email", required=False) if data.get("recipient_email") is not None \
        else None
    if email is None and data.get("recipient_email") is None and recipient_required:
        errors.add("recipient_email", "can't be blank", None)
    first = _name(data, "issued_to_first_name", errors)
    last = _name(data, "issued_to_last_name", errors)
    template = errors.text(data, "badge_template_id", max_len=64) or None
    if template is None:
        errors.add("badge_template_id", "can't be blank", None)
    issued = _moment(data, "issued_at", errors, required=True)
    expires = _moment(data, "expires_at", errors, required=False)
    if issued and expires and expires <= issued:
        errors.add("expires_at", "must be after issued_at", data.get("expires_at"))
    earner_id = errors.text(data, "issuer_earner_id", max_len=255) if data.get("issuer_earner_id") is not None \
        else None
    locale = data.get("locale")
    if locale is not None and locale not in LOCALES:
        errors.add("locale", f"one of {', '.join(LOCALES)}", locale)
    suppress = data.get("suppress_badge_notification_email", False)
    if not isinstance(suppress, bool):
        errors.add("suppress_badge_notification_email", "must be true or false", suppress)
    for free, longest in (("issued_to", 2000), ("user_id", 255), ("notification_message", 2000)):
        if data.get(free) is not None:
            errors.text(data, free, max_len=longest)
    evidence = _evidence(data.get("evidence"), errors)
    if errors.details or first is None or last is None:
        return None, template, False, None
    name = (data.get("issued_to") or "").strip() or f"{first} {last}"
    user_id = data.get("user_id")
    award = Award(recipient=email or "", recipient_name=name, issued_on=issued.astimezone(UTC) if issued else None,
                  expires=expires.astimezone(UTC) if expires else None,
                  issued_date=issued.date() if issued else None, expires_date=expires.date() if expires else None,
                  evidence=evidence, issuer_earner_id=earner_id, locale=locale or "en",
                  acceptance=Acceptance.EARNER if earner_accepts else None, first_name=first, last_name=last,
                  external_user_id=user_id.strip() or None if isinstance(user_id, str) else None,
                  notification_suppressed=bool(suppress), duplicate_moment=True, created_by=created_by)
    return award, template, not suppress, (first, last)
