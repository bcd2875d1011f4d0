"""Request bodies and field validation for the issuer API: every problem becomes a 400 ``ValidationError``
with ``details: [{field, message, value}]`` — never a 500."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException

from hosting.lib.errors import InvalidInput, TooLarge
from hosting.lib.numbers import ascii_int

__all__ = ["EMAIL_ADDRESS", "MAX_FIELDS", "SLUG", "FieldErrors", "FormBody", "email_address", "http_url", "normalise_email", "read_body", "slugify"]

MAX_BODY_BYTES = 1024 * 1024
# Fields of a form, parts of a multipart body, keys of a JSON object body: no request has 30 legitimate ones;
# 300,000 unknown fields once cost 1.6 s of event-loop CPU and a 20 MB error body. Over the cap: 413.
MAX_FIELDS = 200
SLUG = re.compile(r"^[a-z0-9-]{1,50}$")
_SPACE = re.compile(r"\s")  # the characters str.isspace() accepts
EMAIL_ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class FormBody(dict[str, Any]):
    """The fields of a form or multipart body: text values are strings (file parts ``bytes``), which
    :func:`hosting.lib.convert.convert` coerces by the target field's type."""


def _invalid(message: str, field: str = "body", value: Any = None) -> InvalidInput:
    return InvalidInput(message, details=[{"field": field, "message": message, "value": value}])


def _too_many(what: str) -> TooLarge:
    message = f"more than {MAX_FIELDS} {what}"
    return TooLarge(message, details=[{"field": "body", "message": message, "value": None}])


def _body_limit(request: Request[Any, Any, Any]) -> int:
    """1 MiB of fields plus room for one image (base64 in JSON or a multipart part) of the configured size."""
    state = request.app.state.get("hosting")
    image_bytes = state.settings.max_image_bytes if state is not None else 2 * 1024 * 1024
    return MAX_BODY_BYTES + (image_bytes * 4 + 2) // 3 + 4096


async def read_body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The body as a dict: a JSON object (``application/json``), form fields (``x-www-form-urlencoded``) or
    ``multipart/form-data`` (text parts as ``str``, file parts as ``bytes``; a repeated name keeps the last).
    Form and multipart fields come as a :class:`FormBody`."""
    limit = _body_limit(request)
    declared = request.headers.get("content-length")
    if declared is not None:
        length = ascii_int(declared)
        if length is None:
            raise _invalid("Content-Length must be a number of bytes in ASCII digits", "content-length",
                           declared[:40])
        if length > limit:
            raise _invalid(f"body larger than {limit} bytes")
    raw = await request.body()
    if len(raw) > limit:
        raise _invalid(f"body larger than {limit} bytes")
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype == "application/x-www-form-urlencoded":
        if raw.count(b"&") + raw.count(b";") >= MAX_FIELDS:  # before parsing anything
            raise _too_many("form fields")
        try:
            return FormBody(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _invalid(f"malformed form body: {exc}") from exc
    if ctype == "multipart/form-data":
        return await _multipart(request)
    if ctype not in ("application/json", "") and not ctype.endswith("+json"):
        raise _invalid(f"unsupported content type {ctype!r} (use application/json, a form or multipart/form-data)",
                       "content-type", ctype)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _invalid(f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise _invalid("the body must be a JSON object", value=type(data).__name__)
    if len(data) > MAX_FIELDS:
        raise _too_many("fields in the JSON object")
    return data


async def _multipart(request: Request[Any, Any, Any]) -> FormBody:
    if "boundary=" not in request.headers.get("content-type", ""):
        raise _invalid("multipart/form-data without a boundary", "content-type")
    try:
        form = await request.form()  # the app's multipart_form_part_limit is MAX_FIELDS
    except ClientException as exc:
        if "too large" in str(exc.detail).lower():  # Litestar's ParserLimitReached: too many parts
            raise _too_many("multipart parts") from exc
        raise _invalid(f"malformed multipart body: {type(exc).__name__}") from exc
    except Exception as exc:
        raise _invalid(f"malformed multipart body: {type(exc).__name__}") from exc
    out = FormBody()
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            out[name] = await value.read()
            await value.close()
        else:
            out[name] = value
    return out


def slugify(text: str) -> str:
    """BadgeKit-style slug: lowercase, digits and dashes, at most 50 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50].strip("-")
    return slug or "issuer"


class FieldErrors:
    """Collects field problems so one 400 reports them all; ``text``/``url``/``email``/``slug`` check values
    the structs leave free (inside evidence objects, a recipient of a given type)."""

    def __init__(self) -> None:
        self.details: list[dict[str, Any]] = []

    def add(self, field: str, message: str, value: Any) -> None:
        if not isinstance(value, (str, int, float, bool, type(None))):
            value = None
        elif isinstance(value, str) and len(value) > 200:
            value = value[:200] + "…"
        self.details.append({"field": field, "message": message, "value": value})

    def raise_if_any(self) -> None:
        if self.details:
            fields = ", ".join(sorted({d["field"] for d in self.details}))
            raise InvalidInput(f"invalid fields: {fields}", details=self.details)

    def text(self, data: dict[str, Any], field: str, *, required: bool = False,
             max_len: int | None = None) -> str | None:
        """``data[field]`` stripped, if a string within the rules (for values inside free-form objects; a
        body's own fields are typed by its struct, see :mod:`hosting.lib.convert`)."""
        if field not in data:
            if required:
                self.add(field, "required", None)
            return None
        value = data[field]
        if not isinstance(value, str):
            self.add(field, "must be a string", value)
            return None
        value = value.strip()
        if "\x00" in value:
            self.add(field, "must not contain NUL characters", value.replace("\x00", "\\0"))
            return None
        if required and not value:
            self.add(field, "must not be empty", value)
            return None
        if max_len is not None and len(value) > max_len:
            self.add(field, f"at most {max_len} characters", value)
            return None
        return value

    def slug(self, data: dict[str, Any], field: str = "slug") -> str | None:
        value = self.text(data, field)
        if value is not None and not SLUG.match(value):
            self.add(field, "lowercase letters, digits and dashes, 1-50 characters", value)
            return None
        return value

    def url(self, data: dict[str, Any], field: str, *, required: bool = False) -> str | None:
        value = self.text(data, field, required=required, max_len=2048)
        return None if value is None else self.check(field, value, http_url)

    def email(self, data: dict[str, Any], field: str, *, required: bool = False) -> str | None:
        value = self.text(data, field, required=required, max_len=320)
        return None if value is None else self.check(field, value, email_address)

    def check(self, field: str, value: str, rule: Callable[[str], str]) -> str | None:
        """``rule(value)`` (the value, maybe normalised), or ``None`` with the ``ValueError``'s message added."""
        try:
            return rule(value)
        except ValueError as exc:
            self.add(field, str(exc), value)
            return None


def http_url(value: str) -> str:
    """``value`` if it is a fully qualified http(s) URL; ``ValueError`` (the API's message) otherwise."""
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and _SPACE.search(value) is None
    except ValueError:
        ok = False
    if not ok:
        raise ValueError("must be a fully qualified http(s) URL")
    return value


def normalise_email(email: str) -> str:
    """The form an email address is stored and looked up in (trimmed, lowercased); no check that it is one."""
    return email.strip().lower()


def email_address(value: str) -> str:
    """``value`` lowercased if it looks like an email address; ``ValueError`` otherwise."""
    if not EMAIL_ADDRESS.match(value):
        raise ValueError("must be an email address")
    return value.lower()
