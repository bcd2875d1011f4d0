"""Badge class requests into column values, after :func:`hosting.lib.convert.convert` has typed them as
:class:`~.shapes.BadgeInput`/:class:`~.shapes.BadgePatch`; then the result checked with the library."""


from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec import UNSET
from sqlalchemy import inspect

import openbadges_core as ob
from hosting.api.badges.shapes import BadgeInput, BadgePatch, Criteria, CriteriaItem
from hosting.lib.body import FieldErrors, FormBody
from hosting.lib.convert import convert_into
from hosting.public import documents as docs
from hosting.storage.models import BadgeClass

__all__ = ["TEXT_FIELDS", "URL_FIELDS", "badge_columns", "check_candidate", "columns"]

# Echoed back by a client doing GET-then-PUT; ignored on input.
READ_ONLY = frozenset({"id", "issuer", "publicUrl", "assertionCount", "createdAt", "updatedAt"})
# API name -> column of the optional text fields ("" or null clears them); their lengths are in .shapes.
TEXT_FIELDS = {
    "strapline": "strapline",
    "earnerDescription": "earner_description",
    "consumerDescription": "consumer_description",
    "type": "badge_type",
    "achievementType": "achievement_type",
    "imageAltText": "image_alt_text",
}
URL_FIELDS = {"issuerUrl": "issuer_url", "rubricUrl": "rubric_url"}
_CRITERIA_KEYS = ("criteria", "criteriaUrl", "criteriaNarrative", "criteriaItems")


def badge_columns(data: dict[str, Any], errors: FieldErrors, *, creating: bool) -> dict[str, Any] | None:
    """The column values ``data`` (a request body) gives, all required ones when ``creating``; ``None`` when
    it does not convert (the problems are in ``errors``). ``criteria.id`` is read as ``criteria.url``."""
    data = _criteria_id_as_url(data, errors)
    body: Any = convert_into(data, BadgeInput if creating else BadgePatch, errors, ignore=READ_ONLY)
    if body is None:
        if creating and not any(key in data for key in _CRITERIA_KEYS):
            errors.add("criteria", "needs a url or a narrative (OB 2.0 criteria)", None)
        return None

    def given(name: str) -> bool:
        return getattr(body, name) is not UNSET and (not creating or getattr(body, name) is not None)

    out: dict[str, Any] = {}
    if given("slug") and body.slug is not None:
        out["slug"] = body.slug
    for name in ("name", "description"):
        if creating or given(name):
            if getattr(body, name) is None:
                errors.add(name, "required", None)
            out[name] = getattr(body, name)
    if (creating or "image" in data) and (data.get("image") or "") in ("", b""):
        errors.add("image", "required (an upload, an http(s) URL or a data: URI)", None)
    for name, column in {**TEXT_FIELDS, **URL_FIELDS}.items():
        if given(name):
            out[column] = getattr(body, name) or None
    for name in ("tags", "categories"):
        if given(name):
            out[name] = list(dict.fromkeys(getattr(body, name) or ()))
    for name, column in (("timeValue", "time_value"), ("timeUnits", "time_units"), ("limit", "limit")):
        if given(name):
            out[column] = getattr(body, name)
    for name in ("unique", "archived"):
        if given(name) and getattr(body, name) is not None:
            out[name] = getattr(body, name)
    if given("acceptance"):  # who accepts its assertions by default: the issuer (at once) or the earner
        out["acceptance"] = body.acceptance or "issuer"
    if given("alignment"):
        out["alignment"] = [{k: v for k, v in msgspec.structs.asdict(a).items() if v is not None}
                            for a in body.alignment or ()]
    _criteria(data, body, given, errors, out)
    return out


def _criteria_id_as_url(data: dict[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """OB 2.0's criteria ``id`` is its URL: ``{"id": …}`` reads as ``{"url": …}`` (both given: a 400)."""
    criteria = data.get("criteria")
    if not isinstance(criteria, dict) or "id" not in criteria:
        return data
    if "url" in criteria:
        errors.add("criteria.id", "give criteria.url or criteria.id, not both", criteria["id"])
        return data
    renamed = {("url" if key == "id" else key): value for key, value in criteria.items()}
    out = FormBody(data) if isinstance(data, FormBody) else dict(data)
    out["criteria"] = renamed
    return out


def _criteria(data: dict[str, Any], body: Any, given: Any, errors: FieldErrors, out: dict[str, Any]) -> None:
    """``criteria`` is OB's ``{url, narrative}`` or BadgeKit's list of items; ``criteriaUrl``/
    ``criteriaNarrative``/``criteriaItems`` name the parts directly."""
    parts: dict[str, str | None] = {}
    criteria = body.criteria if given("criteria") else None
    if isinstance(criteria, list):
        if given("criteriaItems"):
            errors.add("criteria", "a list of criteria items and criteriaItems: give one of them", None)
        else:
            out["criteria_items"] = _items(criteria)
    elif isinstance(criteria, Criteria):
        raw = data.get("criteria")  # in JSON, a key given as null clears that part; an absent key keeps it
        parts = {f"criteria.{key}": getattr(criteria, key) for key in ("url", "narrative")
                 if (key in raw if isinstance(raw, dict) else getattr(criteria, key) is not None)}
    for name, path in (("criteriaUrl", "criteria.url"), ("criteriaNarrative", "criteria.narrative")):
        if given(name):
            if path in parts:
                errors.add(name, f"given twice (as {name} and {path})", getattr(body, name))
            parts[path] = getattr(body, name)
    if given("criteriaItems"):
        out["criteria_items"] = _items(body.criteriaItems or [])
    if "criteria.url" in parts:
        out["criteria_url"] = parts["criteria.url"] or None
    if "criteria.narrative" in parts:
        out["criteria_narrative"] = parts["criteria.narrative"] or None


def _items(items: list[CriteriaItem]) -> list[dict[str, Any]]:
    return [{"description": i.description, "required": i.required, "note": i.note or None} for i in items]


_API_NAMES = {"criteria": "criteria", "criteria.id": "criteria.url", "criteria.narrative": "criteria.narrative"}


def check_candidate(candidate: BadgeClass, urls: Any, errors: FieldErrors,
                    names: Mapping[str, str] = _API_NAMES) -> None:
    """Rules on the badge class as it would be stored, then its public document built by the library.
    ``names`` turns the library's issue paths (``criteria``, ``criteria.id``, ``criteria.narrative``) into the
    calling API's field names."""
    if not candidate.criteria_url and not candidate.criteria_narrative:
        errors.add(names["criteria"], "needs a url or a narrative (OB 2.0 criteria)", None)
    if (candidate.time_value is None) != (candidate.time_units is None):
        missing = "timeUnits" if candidate.time_units is None else "timeValue"
        errors.add(missing, "timeValue and timeUnits go together", None)
    if errors.details:
        return
    try:
        docs.badge_document(candidate, "probe", urls)
    except ob.ValidationError as exc:
        for issue in exc.issues:
            errors.add(names.get(issue.path, issue.path), issue.message, None)


def columns(badge: BadgeClass) -> dict[str, Any]:
    return {attr.key: getattr(badge, attr.key) for attr in inspect(BadgeClass).column_attrs}
