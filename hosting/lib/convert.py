"""Request bodies into msgspec structs: one struct per body is both its parser and its OpenAPI shape.

:func:`convert` turns the dict :func:`hosting.lib.body.read_body` read (JSON object, form or multipart) into
the struct, and reports **every** bad field at once (msgspec stops at the first: on failure each field is
checked on its own). Before msgspec sees them, strings are stripped and a NUL character is refused; form
values (always strings) are coerced by the field's type: ``""`` is null for a non-text field, JSON text for
a list or an object, a comma-separated list for a list of strings, ``true``/``1``/``3`` for booleans and
integers. After it, fields annotated with :data:`URL` or :data:`EMAIL` are checked (and emails lowercased)::

    class StaffInput(msgspec.Struct, forbid_unknown_fields=True):
        email: Annotated[str, msgspec.Meta(max_length=320), EMAIL]
        role: Literal["owner", "editor", "staff"]

    body = convert(await read_body(request), StaffInput)     # or InvalidInput, details: [{field, message, value}]

The markers are plain ``Annotated`` extras: msgspec ignores them, so the OpenAPI document is unchanged.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable, Collection, Mapping
from functools import cache
from typing import Any, TypeVar

import msgspec
from msgspec import inspect as mi

from hosting.lib.body import FieldErrors, FormBody, email_address, http_url

__all__ = ["EMAIL", "MAX_DEPTH", "URL", "Check", "convert", "convert_into"]

MAX_DEPTH = 16  # lists and objects inside a body's fields: no body needs more than 3

S = TypeVar("S", bound=msgspec.Struct)

_AT = re.compile(r" - at `\$(.*)`$")
_MISSING = re.compile(r"^Object missing required field `(.+)`$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(.+)`$")
_EXPECTED = re.compile(r"^Expected `(.+)`, got `(.+)`$")
_UnionType = type(int | str)
_BAD = object()  # a value already reported (NUL, malformed JSON in a form)


class Check:
    """A field check msgspec cannot express, used as an ``Annotated`` marker: calling it returns the value (maybe
    normalised) or raises ``ValueError`` with the message for the API."""

    def __init__(self, function: Callable[[str], str]) -> None:
        self._function = function

    def __call__(self, value: str) -> str:
        return self._function(value)


URL = Check(http_url)
"""A fully qualified http(s) URL."""
EMAIL = Check(email_address)
"""An email address (lowercased)."""


# --- what a struct's fields accept ---------------------------------------------------------------------------

class _Field(msgspec.Struct, frozen=True):
    name: str  # the attribute
    key: str  # the name on the wire
    type: Any
    required: bool
    nullable: bool
    text: bool  # accepts a string
    structured: bool  # accepts a list, dict or struct (a form sends it as JSON text)
    string_list: bool  # accepts a list of strings (a form may send "a, b, c")
    choices: tuple[Any, ...]  # the values of its Literal, if any
    description: str | None  # its Meta description, if any: says what a value of the wrong type should be
    checks: tuple[Check, ...]


def _options(info: mi.Type) -> list[mi.Type]:
    return list(info.types) if isinstance(info, mi.UnionType) else [info]


def _bare(info: mi.Type) -> mi.Type:
    return info.type if isinstance(info, mi.Metadata) else info


@cache
def _fields(shape: type[msgspec.Struct]) -> dict[str, _Field]:
    hints = typing.get_type_hints(shape, include_extras=True)
    out: dict[str, _Field] = {}
    for f in msgspec.structs.fields(shape):
        options = [_bare(o) for o in _options(_bare(mi.type_info(f.type)))]
        out[f.encode_name] = _Field(
            name=f.name, key=f.encode_name, type=f.type, required=f.required,
            nullable=any(isinstance(o, mi.NoneType) for o in options),
            text=any(isinstance(o, (mi.StrType, mi.LiteralType)) for o in options),
            structured=any(isinstance(o, (mi.ListType, mi.DictType, mi.StructType)) for o in options),
            string_list=any(isinstance(o, mi.ListType) and isinstance(_bare(o.item_type), mi.StrType)
                            for o in options),
            choices=tuple(v for o in options if isinstance(o, mi.LiteralType) for v in o.values),
            description=_description(mi.type_info(f.type)),
            checks=_checks_of(hints[f.name]))
    return out


def _description(info: mi.Type) -> str | None:
    for option in [info, *_options(_bare(info))]:
        if isinstance(option, mi.Metadata) and option.extra_json_schema:
            described = option.extra_json_schema.get("description")
            if isinstance(described, str):
                return described
    return None


def _checks_of(hint: Any) -> tuple[Check, ...]:
    """The :class:`Check` markers of a field's type (``Annotated[str, ..., URL] | None`` included)."""
    found: list[Check] = []
    if typing.get_origin(hint) is typing.Annotated:
        found += [m for m in hint.__metadata__ if isinstance(m, Check)]
        hint = typing.get_args(hint)[0]
    for arg in typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else ():
        found += _checks_of(arg)
    return tuple(found)


@cache
def _nested(hint: Any) -> tuple[type[msgspec.Struct] | None, bool]:
    """``(Struct, is_list)`` when a field holds a struct or a list of structs (checked item by item)."""
    for info in _options(_bare(mi.type_info(hint))):
        info = _bare(info)
        if isinstance(info, mi.StructType):
            return info.cls, False
        if isinstance(info, mi.ListType) and isinstance(_bare(info.item_type), mi.StructType):
            item = _bare(info.item_type)
            assert isinstance(item, mi.StructType)
            return item.cls, True
    return None, False


# --- the conversion -------------------------------------------------------------------------------------------

def convert(data: Mapping[str, Any], shape: type[S], *, ignore: Collection[str] = ()) -> S:
    """``data`` as a ``shape``; an ``InvalidInput`` (400) listing every bad field otherwise.

    A :class:`~hosting.lib.body.FormBody` (form or multipart) has string values, coerced by type. ``ignore``:
    keys dropped before converting (read-only fields a client echoes back from a GET).
    """
    errors = FieldErrors()
    out = convert_into(data, shape, errors, ignore=ignore)
    errors.raise_if_any()
    assert out is not None
    return out


def convert_into(data: Mapping[str, Any], shape: type[S], errors: FieldErrors, *, form: bool | None = None,
                 ignore: Collection[str] = (), where: str = "") -> S | None:
    """Like :func:`convert`, but problems go to ``errors`` (field names prefixed by ``where``) and ``None``
    is returned, so the caller can add its own checks to the same 400. ``form``: whether the values are a
    form's strings (default: whether ``data`` is a ``FormBody``)."""
    if form is None:
        form = isinstance(data, FormBody)
    before = len(errors.details)
    clean = _tidy_object(data, shape, errors, form=form, ignore=ignore, where=where)
    if len(errors.details) == before:
        try:
            out = msgspec.convert(clean, shape, strict=not form)
        except msgspec.ValidationError:
            pass
        else:
            _run_checks(out, errors, where)
            return out if len(errors.details) == before else None
    _field_by_field(clean, shape, errors, form=form, where=where)
    return None


def _tidy_object(data: Mapping[str, Any], shape: type[msgspec.Struct], errors: FieldErrors, *, form: bool,
                 ignore: Collection[str], where: str) -> dict[str, Any]:
    fields = _fields(shape)
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if key in ignore:
            continue
        field = fields.get(key)
        if isinstance(value, bytes) and field is not None and field.text:
            clean[key] = ""  # a multipart file part: the caller reads its bytes from the body
            continue
        if type(value) is str and "\x00" not in value:  # the usual case, without building paths
            value = value.strip()
        elif isinstance(value, (str, list, dict)):
            try:
                value = _tidy_quick(value, 0)
            except _Untidy:  # again, slowly, to name the fields
                value = _tidy(value, f"{where}{key}", errors, 0)
        if value == "" and field is not None and field.nullable:
            value = None  # an empty optional field is not given (a form sends every field)
        elif form and field is not None and value is not _BAD:
            value = _from_form(value, field, f"{where}{key}", errors)
        clean[key] = value
    return clean


class _Untidy(Exception):
    """A NUL character or nesting over the cap somewhere: :func:`_tidy` reports where."""


def _tidy_quick(value: Any, depth: int) -> Any:
    """:func:`_tidy` for values without problems (no paths built); :class:`_Untidy` otherwise."""
    if type(value) is str:
        if "\x00" in value:
            raise _Untidy
        return value.strip()
    if type(value) is list:
        if depth >= MAX_DEPTH:
            raise _Untidy
        return [_tidy_quick(item, depth + 1) for item in value]
    if type(value) is dict:
        if depth >= MAX_DEPTH:
            raise _Untidy
        return {k: _tidy_quick(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (str, list, dict)):  # subclasses: the careful way
        raise _Untidy
    return value


def _tidy(value: Any, path: str, errors: FieldErrors, depth: int) -> Any:
    """Strings stripped, NUL refused, all the way down (at most :data:`MAX_DEPTH` levels)."""
    if isinstance(value, str):
        if "\x00" in value:
            errors.add(path, "must not contain NUL characters", value.replace("\x00", "\\0"))
            return _BAD
        return value.strip()
    if isinstance(value, (list, dict)) and depth >= MAX_DEPTH:
        errors.add(path, f"nested more than {MAX_DEPTH} levels deep", None)
        return _BAD
    if isinstance(value, list):
        items = [_tidy(item, f"{path}[{i}]", errors, depth + 1) for i, item in enumerate(value)]
        return _BAD if any(item is _BAD for item in items) else items
    if isinstance(value, dict):
        tidied = {k: _tidy(v, f"{path}.{k}", errors, depth + 1) for k, v in value.items()}
        return _BAD if any(v is _BAD for v in tidied.values()) else tidied
    return value


def _from_form(value: Any, field: _Field, path: str, errors: FieldErrors) -> Any:
    """A form's string as the field's type wants it (msgspec's lax mode then reads ``"true"``, ``"3"`` …)."""
    if not isinstance(value, str):
        return value  # an upload's bytes
    if field.structured and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            errors.add(path, "malformed JSON", value)
            return _BAD
    if field.string_list and not field.text:
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _field_by_field(clean: dict[str, Any], shape: type[msgspec.Struct], errors: FieldErrors, *, form: bool,
                    where: str) -> None:
    """Every problem of ``clean`` as ``shape``: unknown fields, missing ones, then each field on its own."""
    fields = _fields(shape)
    if shape.__struct_config__.forbid_unknown_fields:
        for key in sorted(set(clean) - set(fields)):
            errors.add(f"{where}{key}", "unknown field", None)
    for key, field in fields.items():
        path = f"{where}{key}"
        if key not in clean:
            if field.required:
                errors.add(path, "required", None)
            continue
        value = clean[key]
        if value is _BAD:
            continue
        try:
            got = msgspec.convert(value, field.type, strict=not form)
        except msgspec.ValidationError as exc:
            _report_field(exc, value, field, path, errors, form=form)
            continue
        _check_value(got, field, path, errors)


def _report_field(exc: msgspec.ValidationError, value: Any, field: _Field, path: str, errors: FieldErrors, *,
                  form: bool) -> None:
    """A field msgspec refused: a struct (or a list of structs) is looked into to report every problem."""
    nested, many = _nested(field.type)
    at = _AT.search(str(exc))
    if nested is not None and not many and isinstance(value, dict):
        convert_into(value, nested, errors, form=form, where=f"{path}.")
        return
    if nested is not None and many and isinstance(value, list) and at is not None and at.group(1).startswith("["):
        for i, item in enumerate(value):
            if isinstance(item, dict):
                convert_into(item, nested, errors, form=form, where=f"{path}[{i}].")
            else:
                errors.add(f"{path}[{i}]", "must be an object", item)
        return
    if field.choices and str(exc).startswith("Invalid enum value"):
        errors.add(path, f"one of {', '.join(map(str, field.choices))}", value)
        return
    if field.description and _EXPECTED.match(str(exc)):  # the wrong type: say what the field takes
        errors.add(path, f"must be {field.description}", value)
        return
    _report(exc, path, value, errors)


def _check_value(value: Any, field: _Field, path: str, errors: FieldErrors) -> Any:
    """The :class:`Check` markers of a converted value (inside nested structs too); the value, normalised."""
    if isinstance(value, str):
        for check in field.checks:
            value = _apply(check, value, path, errors)
    elif isinstance(value, msgspec.Struct):
        _run_checks(value, errors, f"{path}.")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, msgspec.Struct):
                _run_checks(item, errors, f"{path}[{i}].")
    return value


_TYPE_WORDS = {"str": "a string", "int": "an integer", "float": "a number", "bool": "true or false",
               "array": "a list", "object": "an object", "null": "null"}
_PLAIN = [
    (re.compile(r"^Expected `str` of length <= (\d+)$"), "at most {0} characters"),
    (re.compile(r"^Expected `str` of length >= 1$"), "must not be empty"),
    (re.compile(r"^Expected `str` of length >= (\d+)$"), "at least {0} characters"),
    (re.compile(r"^Expected `array` of length <= (\d+)$"), "at most {0} items"),
    (re.compile(r"^Expected `array` of length >= (\d+)$"), "at least {0} items"),
    (re.compile(r"^Expected `int` >= (-?\d+)$"), "must be at least {0}"),
    (re.compile(r"^Expected `int` <= (-?\d+)$"), "must be at most {0}"),
    (re.compile(r"^Expected `str` matching regex '(.*)'$"), "must match {0}"),
    (re.compile(r"^Invalid enum value (.*)$"), "not one of the allowed values"),
]


def _report(exc: msgspec.ValidationError, path: str, value: Any, errors: FieldErrors) -> None:
    """One msgspec error as ``{field, message, value}``: its ``$…`` suffix joins the field's path."""
    text = str(exc)
    at = _AT.search(text)
    if at is not None:
        text = text[: at.start()]
        path = f"{path}{at.group(1)}"
    value = _at_path(value, at)
    if (missing := _MISSING.match(text)) is not None:
        errors.add(f"{path}.{missing.group(1)}", "required", None)
    elif (unknown := _UNKNOWN.match(text)) is not None:
        errors.add(f"{path}.{unknown.group(1)}", "unknown field", None)
    elif (expected := _EXPECTED.match(text)) is not None:
        words = [_TYPE_WORDS.get(t.strip(), t.strip()) for t in expected.group(1).split("|")]
        errors.add(path, f"must be {' or '.join(words)}", value)
    else:
        for pattern, message in _PLAIN:
            if (plain := pattern.match(text)) is not None:
                errors.add(path, message.format(*plain.groups()), value)
                return
        errors.add(path, text[:1].lower() + text[1:], value)


def _at_path(value: Any, at: re.Match[str] | None) -> Any:
    """The offending value inside ``value`` at msgspec's ``$[1].x`` suffix (best effort)."""
    if at is None:
        return value
    for step in re.findall(r"\[(\d+)\]|\.([^.\[]+)", at.group(1)):
        index, key = step
        try:
            value = value[int(index)] if index else value[key]
        except (LookupError, TypeError):
            return None
    return value


@cache
def _has_checks(shape: type[msgspec.Struct]) -> bool:
    """Whether ``shape`` or a struct inside it carries a :class:`Check` (most bodies don't: skip the walk)."""
    for field in _fields(shape).values():
        nested, _ = _nested(field.type)
        if field.checks or (nested is not None and nested is not shape and _has_checks(nested)):
            return True
    return False


def _run_checks(obj: msgspec.Struct, errors: FieldErrors, where: str) -> None:
    """The :class:`Check` markers of ``obj``'s fields (nested structs too), replacing normalised values."""
    if not _has_checks(type(obj)):
        return
    for key, field in _fields(type(obj)).items():
        value = getattr(obj, field.name)
        checked = _check_value(value, field, f"{where}{key}", errors)
        if checked is not value and checked is not None:
            setattr(obj, field.name, checked)


def _apply(check: Check, value: Any, path: str, errors: FieldErrors) -> Any:
    return errors.check(path, value, check) if isinstance(value, str) else value
