"""Reading badge class requests (JSON or forms) into column values, and checking the result with the library."""


import json
import re
from typing import Any

from litestar import Request
from sqlalchemy import inspect

import openbadges_core as ob
from hosting.lib.body import FieldErrors
from hosting.public import documents as docs
from hosting.storage.models import BadgeClass

__all__ = ["TEXT_FIELDS", "URL_FIELDS", "BadgeFields", "check_candidate", "columns", "is_form"]

LONG_TEXT = 10_000
MAX_ITEMS = 50
TIME_UNITS = ("minutes", "hours", "days", "weeks")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Echoed back by a client doing GET-then-PUT; ignored on input.
_READ_ONLY = frozenset({"id", "issuer", "publicUrl", "assertionCount", "createdAt", "updatedAt"})
# API name -> (column, max length) of the optional text fields ("" or null clears them).
TEXT_FIELDS = {
    "strapline": ("strapline", 140),
    "earnerDescription": ("earner_description", LONG_TEXT),
    "consumerDescription": ("consumer_description", LONG_TEXT),
    "type": ("badge_type", 255),
    "achievementType": ("achievement_type", 255),
    "imageAltText": ("image_alt_text", 1024),
}
URL_FIELDS = {"issuerUrl": "issuer_url", "rubricUrl": "rubric_url"}
_STRING_LISTS = {"tags": "tags", "categories": "categories"}
_KNOWN = frozenset({
    "name", "description", "image", "slug", "criteria", "criteriaUrl", "criteriaNarrative", "criteriaItems",
    "alignment", "timeValue", "timeUnits", "limit", "unique", "archived", "acceptance", *TEXT_FIELDS, *URL_FIELDS, *_STRING_LISTS,
})
_ALIGNMENT_TEXTS = {"targetName": 255, "targetDescription": LONG_TEXT, "targetFramework": 255, "targetCode": 255}
_ABSENT = object()


class BadgeFields:
    """Validates a request body into model column values; every problem lands in ``errors``.

    ``form`` bodies (url-encoded or multipart) carry only strings: booleans (``true``/``false``/``1``/``0``)
    and integers are coerced, ``tags``/``categories`` may be comma-separated, and ``alignment``/
    ``criteriaItems``/``criteria`` may be JSON text.
    """

    def __init__(self, data: dict[str, Any], *, form: bool, creating: bool) -> None:
        self.data = data
        self.form = form
        self.creating = creating
        self.errors = FieldErrors()
        self.fields: dict[str, Any] = {}
        self.image: Any = data.get("image")

    def parse(self) -> dict[str, Any]:
        data, out, errors = self.data, self.fields, self.errors
        for field in sorted(set(data) - _KNOWN - _READ_ONLY):
            errors.add(field, "unknown field", None)
        if "slug" in data:
            out["slug"] = errors.slug(data)
        if self.creating or "name" in data:
            out["name"] = errors.text(data, "name", required=True, max_len=255)
        if self.creating or "description" in data:
            out["description"] = errors.text(data, "description", required=True, max_len=LONG_TEXT)
        if (self.creating or "image" in data) and self.image in (None, "", b""):
            errors.add("image", "required (an upload, an http(s) URL or a data: URI)", None)
        for name, (column, max_len) in TEXT_FIELDS.items():
            if name in data:
                out[column] = self._optional_text(name, max_len)
        for name, column in URL_FIELDS.items():
            if name in data:
                out[column] = self._optional_url(data, name)
        for name, column in _STRING_LISTS.items():
            if name in data:
                out[column] = self._string_list(name)
        if "timeValue" in data:
            out["time_value"] = self._integer("timeValue", minimum=0)
        if "timeUnits" in data:
            out["time_units"] = self._choice("timeUnits", TIME_UNITS)
        if "limit" in data:
            out["limit"] = self._integer("limit", minimum=1)
        for name in ("unique", "archived"):
            if name in data:
                out[name] = self._boolean(name)
        if "alignment" in data:
            out["alignment"] = self._alignment()
        if "acceptance" in data:  # who accepts its assertions by default: the issuer (at once) or the earner
            out["acceptance"] = self._choice("acceptance", ("issuer", "earner")) or "issuer"
        self._criteria()
        return out

    # scalars
    def _optional_text(self, name: str, max_len: int) -> str | None:
        if self.data[name] is None or self.data[name] == "":
            return None
        return self.errors.text(self.data, name, max_len=max_len) or None

    def _optional_url(self, data: dict[str, Any], name: str) -> str | None:
        if data[name] is None or data[name] == "":
            return None
        return self.errors.url(data, name)

    def _integer(self, name: str, *, minimum: int) -> int | None:
        value = self.data[name]
        if value is None or (self.form and value == ""):
            return None
        if self.form and isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value.strip()):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.errors.add(name, "must be an integer or null", value)
            return None
        if not minimum <= value <= 2**31 - 1:
            self.errors.add(name, f"must be between {minimum} and {2**31 - 1}", value)
            return None
        return value

    def _boolean(self, name: str) -> bool:
        value = self.data[name]
        if self.form and isinstance(value, str):
            value = {"true": True, "1": True, "false": False, "0": False}.get(value.strip().lower(), value)
        if not isinstance(value, bool):
            self.errors.add(name, "must be true or false", value)
            return False
        return value

    def _choice(self, name: str, choices: tuple[str, ...]) -> str | None:
        value = self.data[name]
        if value is None or value == "":
            return None
        if value not in choices:
            self.errors.add(name, f"one of {', '.join(choices)} (or null)", value)
            return None
        return str(value)

    # structures
    def _structured(self, name: str, value: Any) -> Any:
        """A form sends lists and objects as JSON text."""
        if self.form and isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                return json.loads(value)
            except (ValueError, RecursionError):
                self.errors.add(name, "malformed JSON", value)
                return _ABSENT
        return value

    def _list(self, name: str, value: Any) -> list[Any] | None:
        if value is _ABSENT:
            return None
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.add(name, "must be a list", value)
            return None
        if len(value) > MAX_ITEMS:
            self.errors.add(name, f"at most {MAX_ITEMS} items", len(value))
            return None
        return value

    def _string_list(self, name: str) -> list[str]:
        value = self.data[name]
        if self.form and isinstance(value, str):
            value = self._structured(name, value)
            if isinstance(value, str):
                value = [part for part in value.split(",") if part.strip()]
        items = self._list(name, value)
        out: list[str] = []
        for i, item in enumerate(items or ()):
            text = self.errors.text({f"{name}[{i}]": item}, f"{name}[{i}]", required=True, max_len=255)
            if text is not None and text not in out:
                out.append(text)
        return out

    def _objects(self, name: str, value: Any, check: Any) -> list[dict[str, Any]]:
        """Each item of the list ``value`` checked by ``check(item, sub_errors)`` with prefixed field names."""
        out: list[dict[str, Any]] = []
        for i, item in enumerate(self._list(name, self._structured(name, value)) or ()):
            if not isinstance(item, dict):
                self.errors.add(f"{name}[{i}]", "must be an object", item)
                continue
            sub = FieldErrors()
            clean = check(item, sub)
            for d in sub.details:
                self.errors.add(f"{name}[{i}].{d['field']}", d["message"], d["value"])
            out.append(clean)
        return out

    def _alignment(self) -> list[dict[str, Any]]:
        def check(item: dict[str, Any], sub: FieldErrors) -> dict[str, Any]:
            for key in sorted(set(item) - {"targetUrl", *_ALIGNMENT_TEXTS}):
                sub.add(key, "unknown field", None)
            clean: dict[str, Any] = {"targetName": sub.text(item, "targetName", required=True, max_len=255),
                                     "targetUrl": sub.url(item, "targetUrl", required=True)}
            for key, max_len in _ALIGNMENT_TEXTS.items():
                if key != "targetName" and item.get(key) not in (None, ""):
                    clean[key] = sub.text(item, key, max_len=max_len)
            return clean

        return self._objects("alignment", self.data["alignment"], check)

    def _criteria_items(self, name: str, value: Any) -> list[dict[str, Any]]:
        def check(item: dict[str, Any], sub: FieldErrors) -> dict[str, Any]:
            for key in sorted(set(item) - {"description", "required", "note"}):
                sub.add(key, "unknown field", None)
            required = item.get("required", True)
            if self.form and isinstance(required, str):
                required = {"true": True, "1": True, "false": False, "0": False}.get(required.lower(), required)
            if not isinstance(required, bool):
                sub.add("required", "must be true or false", required)
            note = None if item.get("note") in (None, "") else sub.text(item, "note", max_len=LONG_TEXT)
            return {"description": sub.text(item, "description", required=True, max_len=LONG_TEXT),
                    "required": required is not False, "note": note}

        return self._objects(name, value, check)

    def _criteria(self) -> None:
        """``criteria`` is OB's ``{url, narrative}`` (``id`` is accepted for ``url``) or BadgeKit's list of
        items; ``criteriaUrl``/``criteriaNarrative``/``criteriaItems`` name the parts directly."""
        data, errors, out = self.data, self.errors, self.fields
        given = self._structured("criteria", data["criteria"]) if "criteria" in data else _ABSENT
        parts: dict[str, Any] = {}
        if isinstance(given, list):
            if "criteriaItems" in data:
                errors.add("criteria", "a list of criteria items and criteriaItems: give one of them", None)
            else:
                out["criteria_items"] = self._criteria_items("criteria", given)
        elif isinstance(given, dict):
            for key in sorted(set(given) - {"url", "id", "narrative"}):
                errors.add(f"criteria.{key}", "unknown field", None)
            if "url" in given and "id" in given:
                errors.add("criteria.id", "give criteria.url or criteria.id, not both", given["id"])
            for key in ("url", "id", "narrative"):
                if key in given:
                    parts["criteria.url" if key == "id" else f"criteria.{key}"] = given[key]
        elif given is not _ABSENT:
            errors.add("criteria", "must be an object {url, narrative} or a list of criteria items", given)
        for key, path in (("criteriaUrl", "criteria.url"), ("criteriaNarrative", "criteria.narrative")):
            if key in data:
                if path in parts:
                    errors.add(key, f"given twice (as {key} and {path})", data[key])
                parts[path] = data[key]
        if "criteriaItems" in data:
            out["criteria_items"] = self._criteria_items("criteriaItems", data["criteriaItems"])
        if "criteria.url" in parts:
            out["criteria_url"] = self._optional_url(parts, "criteria.url")
        if "criteria.narrative" in parts:
            value = parts["criteria.narrative"]
            out["criteria_narrative"] = None if value in (None, "") else errors.text(
                parts, "criteria.narrative", max_len=LONG_TEXT)


def _library_field(path: str) -> str:
    """An ``openbadges_core`` issue path as the API field that caused it."""
    return {"criteria.id": "criteria.url", "criteria": "criteria"}.get(path, path)


def check_candidate(candidate: BadgeClass, urls: Any, errors: FieldErrors) -> None:
    """Rules on the badge class as it would be stored, then its public document built by the library."""
    if not candidate.criteria_url and not candidate.criteria_narrative:
        errors.add("criteria", "needs a url or a narrative (OB 2.0 criteria)", None)
    if (candidate.time_value is None) != (candidate.time_units is None):
        missing = "timeUnits" if candidate.time_units is None else "timeValue"
        errors.add(missing, "timeValue and timeUnits go together", None)
    if errors.details:
        return
    try:
        docs.badge_document(candidate, "probe", urls)
    except ob.ValidationError as exc:
        for issue in exc.issues:
            errors.add(_library_field(issue.path), issue.message, None)


def columns(badge: BadgeClass) -> dict[str, Any]:
    return {attr.key: getattr(badge, attr.key) for attr in inspect(BadgeClass).column_attrs}


def is_form(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() in _FORM_TYPES
