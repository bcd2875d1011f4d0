"""Credly badge template bodies → badge class columns: ``name``, ``description``, ``vanity_slug``, ``skills``
(the badge class's tags), ``reporting_tags``, ``criteria_url``, ``global_activity_url``, ``state``
(``active``/``archived``), ``alignments`` (``{name, url, description}``, OB's ``targetName``/``targetUrl``/
``targetDescription``) and ``badges_issued_as_accepted``. ``image`` is read by the caller (an upload, a ``data:``
URI or an http(s) URL). JSON, form and multipart bodies: in a form, lists are comma-separated and flags
``true``/``false``. The read-only keys of the template object (a GET echoed into a PUT) are ignored."""

from __future__ import annotations

from typing import Any

from hosting.lib.body import FieldErrors, FormBody
from hosting.storage.models import Acceptance

__all__ = ["MAX_TAGS", "acceptance_setting", "template_columns"]

MAX_TAGS = 50
_TEXTS = {"name": 255, "description": 10_000}
_URLS = ("criteria_url", "global_activity_url")
_LISTS = {"skills": "tags", "reporting_tags": "reporting_tags"}
_WRITABLE = frozenset({*_TEXTS, *_URLS, *_LISTS, "image", "vanity_slug", "state", "alignments",
                       "badges_issued_as_accepted"})
# Keys of the template object that a client may echo back (GET-then-PUT); ignored on input.
_READ_ONLY = frozenset({
    "id", "public", "badges_count", "recipient_type", "show_badge_lmi", "show_lmi_jobs", "show_skill_tag_links",
    "criteria_url_name", "certification", "state_updated_at", "created_at", "updated_at", "template_type",
    "show_template_settings", "get_issue_count", "image_url", "url", "owner", "recommendations",
    "required_badge_templates", "badge_template_activities"})
_STATES = {"active": False, "archived": True}


def _words(data: dict[str, Any], field: str, errors: FieldErrors) -> list[str] | None:
    """A list of up to :data:`MAX_TAGS` short strings (a form gives them comma-separated); duplicates dropped."""
    value = data[field]
    if value is None:
        return []
    if isinstance(data, FormBody) and isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or len(value) > MAX_TAGS \
            or not all(isinstance(v, str) and len(v.strip()) <= 255 and "\x00" not in v for v in value):
        errors.add(field, f"a list of at most {MAX_TAGS} strings of at most 255 characters", None)
        return None
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


def _flag(data: dict[str, Any], field: str, errors: FieldErrors) -> bool | None:
    value = data[field]
    if isinstance(data, FormBody) and value in ("true", "false"):
        return str(value) == "true"
    if isinstance(value, bool):
        return value
    errors.add(field, "must be true or false", value)
    return None


def _alignments(value: Any, errors: FieldErrors) -> list[dict[str, Any]] | None:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        errors.add("alignments", f"a list of at most {MAX_TAGS} objects {{name, url, description}}", None)
        return None
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            errors.add(f"alignments[{i}]", "must be an object {name, url, description}", None)
            continue
        sub = FieldErrors()
        for name in sorted(set(item) - {"id", "name", "url", "description"}):
            sub.add(name, "unknown field", None)
        name, url = sub.text(item, "name", required=True, max_len=255), sub.url(item, "url", required=True)
        description = sub.text(item, "description", max_len=10_000) if item.get("description") is not None \
            else None
        for detail in sub.details:
            errors.add(f"alignments[{i}].{detail['field']}", detail["message"], detail["value"])
        if not sub.details:
            out.append({"targetName": name, "targetUrl": url,
                        **({"targetDescription": description} if description else {})})
    return out


def template_columns(data: dict[str, Any], errors: FieldErrors, *, creating: bool) -> dict[str, Any]:
    """The badge class columns ``data`` gives (``name``, ``description`` and ``image`` required when
    ``creating``); problems go to ``errors``. ``slug`` is the ``vanity_slug`` given, if any; ``acceptance`` is the
    value ``badges_issued_as_accepted`` asks for (see :func:`acceptance_setting`)."""
    for name in sorted(set(data) - _WRITABLE - _READ_ONLY):
        errors.add(name, "unknown field", None)
    out: dict[str, Any] = {}
    for name, limit in _TEXTS.items():
        if name in data or creating:
            value = errors.text(data, name, required=True, max_len=limit)
            if value is not None:
                out[name] = value
    if creating and data.get("image") in (None, "", b""):
        errors.add("image", "can't be blank (an upload, a data: URI or an http(s) URL)", None)
    if data.get("vanity_slug") is not None:
        slug = errors.slug(data, "vanity_slug")
        if slug is not None:
            out["slug"] = slug
    for name in _URLS:
        if name in data:
            out[name] = errors.url(data, name) if data[name] not in (None, "") else None
    for name, column in _LISTS.items():
        if name in data:
            words = _words(data, name, errors)
            if words is not None:
                out[column] = words
    if "state" in data:
        if data["state"] not in _STATES:
            errors.add("state", "active or archived", data["state"])
        else:
            out["archived"] = _STATES[data["state"]]
    if "badges_issued_as_accepted" in data:  # the badge class's acceptance setting, as Credly reads it
        accepted = _flag(data, "badges_issued_as_accepted", errors)
        if accepted is not None:
            out["acceptance"] = Acceptance.ISSUER if accepted else Acceptance.EARNER
    if "alignments" in data:
        alignment = _alignments(data["alignments"], errors)
        if alignment is not None:
            out["alignment"] = alignment
    return out


def acceptance_setting(fields: dict[str, Any], current: str | None) -> dict[str, Any]:
    """``fields`` with its ``acceptance`` as the badge class's setting: Credly reads an unset one as the earner's
    (badges issued pending), so ``badges_issued_as_accepted: false`` leaves it unset (see
    :meth:`Acceptance.setting`)."""
    if "acceptance" in fields:
        fields["acceptance"] = Acceptance.setting(current, fields["acceptance"], Acceptance.EARNER)
    return fields
