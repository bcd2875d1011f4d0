"""``hosting.lib.convert``: a request body into its msgspec struct, with every bad field reported at once (msgspec
itself stops at the first), form strings coerced by the field's type, and the URL/email checks the struct
declares as ``Annotated`` markers — without changing the struct's JSON Schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
import pytest
from msgspec import UNSET, UnsetType

from hosting.lib.body import FieldErrors, FormBody
from hosting.lib.convert import EMAIL, MAX_DEPTH, URL, convert, convert_into
from hosting.lib.errors import InvalidInput


class Item(msgspec.Struct, forbid_unknown_fields=True):
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
    link: Annotated[str, msgspec.Meta(max_length=100), URL]
    required: bool = True


class Body(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    email: Annotated[str, msgspec.Meta(max_length=320), EMAIL]
    count: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    flag: bool | None = None
    kind: Literal["a", "b"] | None = None
    tags: Annotated[list[Annotated[str, msgspec.Meta(min_length=1)]], msgspec.Meta(max_length=3)] | None = None
    items: list[Item] | None = None
    note: str | None | UnsetType = UNSET
    upload: str | None = None


def _details(data: dict[str, Any], shape: type[msgspec.Struct] = Body) -> list[dict[str, Any]]:
    with pytest.raises(InvalidInput) as caught:
        convert(data, shape)
    details: list[dict[str, Any]] = caught.value.extra["details"]
    assert all(set(d) == {"field", "message", "value"} for d in details)
    return details


def _fields(data: dict[str, Any]) -> list[str]:
    return [d["field"] for d in _details(data)]


def test_a_good_body_converts_with_strings_stripped_and_emails_lowercased() -> None:
    body = convert({"name": "  Ann ", "email": " Ann@Example.ORG", "count": 3, "flag": False,
                    "items": [{"label": "x", "link": "https://a.example/x"}]}, Body)
    assert (body.name, body.email, body.count, body.flag) == ("Ann", "ann@example.org", 3, False)
    assert body.items == [Item(label="x", link="https://a.example/x")]
    assert body.note is UNSET  # absent, not null


def test_every_bad_field_is_reported_not_only_the_first() -> None:
    details = _details({"name": 5, "email": "nope", "count": 0, "flag": "yes", "kind": "c", "zz": 1,
                        "tags": ["ok", 7, ""]})
    assert {d["field"] for d in details} == {"name", "email", "count", "flag", "kind", "zz", "tags[1]"}
    by_field = {d["field"]: d for d in details}
    assert by_field["zz"] == {"field": "zz", "message": "unknown field", "value": None}
    assert by_field["name"]["message"] == "must be a string" and by_field["name"]["value"] == 5
    assert by_field["count"]["message"] == "must be at least 1"
    assert by_field["kind"]["message"] == "one of a, b"
    assert by_field["email"]["message"] == "must be an email address"


def test_missing_required_fields_are_all_listed() -> None:
    assert _details({}) == [{"field": "name", "message": "required", "value": None},
                            {"field": "email", "message": "required", "value": None}]


def test_a_list_of_structs_reports_every_item_and_every_field_inside() -> None:
    fields = _fields({"name": "n", "email": "a@b.org", "items": [
        {"label": "x"}, {"label": "", "link": "ftp://x", "other": 1}, 5, {"label": "ok", "link": "https://a.example"}]})
    assert fields == ["items[0].link", "items[1].other", "items[1].label", "items[1].link", "items[2]"]


def test_a_url_marker_refuses_what_the_pattern_lets_through() -> None:
    details = _details({"name": "n", "email": "a@b.org", "items": [{"label": "x", "link": "https://"}]})
    assert details == [{"field": "items[0].link", "message": "must be a fully qualified http(s) URL",
                        "value": "https://"}]


def test_nul_characters_are_refused_and_reported_once() -> None:
    details = _details({"name": "a\x00b", "email": "a@b.org"})
    assert details == [{"field": "name", "message": "must not contain NUL characters", "value": "a\\0b"}]


def test_lengths_count_after_stripping() -> None:
    assert convert({"name": " " * 30 + "x", "email": "a@b.org"}, Body).name == "x"
    assert _fields({"name": "   ", "email": "a@b.org"}) == ["name"]  # blank: empty once stripped


def test_an_empty_optional_field_is_null() -> None:
    body = convert({"name": "n", "email": "a@b.org", "kind": "", "note": ""}, Body)
    assert body.kind is None and body.note is None  # given, as null (a PATCH clears it)


def test_a_form_is_coerced_by_the_field_types() -> None:
    form = FormBody(name="n", email="a@b.org", count="7", flag="TRUE", tags="a, b,,", kind="",
                    items='[{"label": "x", "link": "https://a.example", "required": "0"}]')
    body = convert(form, Body)
    assert (body.count, body.flag, body.tags, body.kind) == (7, True, ["a", "b"], None)
    assert body.items == [Item(label="x", link="https://a.example", required=False)]


def test_bad_form_values_are_reported_by_field() -> None:
    form = FormBody(name="n", email="a@b.org", count="1.5", flag="maybe", items="[{")
    with pytest.raises(InvalidInput) as caught:
        convert(form, Body)
    assert [d["field"] for d in caught.value.extra["details"]] == ["items", "count", "flag"]


def test_json_strings_are_not_coerced() -> None:
    assert _fields({"name": "n", "email": "a@b.org", "count": "3", "flag": "true"}) == ["count", "flag"]


def test_a_file_part_stands_in_for_its_text_field() -> None:
    assert convert(FormBody(name="n", email="a@b.org", upload=b"\x89PNG"), Body).upload == ""


def test_ignored_keys_are_dropped_before_converting() -> None:
    assert convert({"name": "n", "email": "a@b.org", "id": "x", "createdAt": 1}, Body,
                   ignore={"id", "createdAt"}).name == "n"


def test_nesting_deeper_than_the_cap_is_a_field_error_not_a_recursion_error() -> None:
    deep: Any = "x"
    for _ in range(5_000):
        deep = [deep]
    details = _details({"name": "n", "email": "a@b.org", "tags": deep})
    assert details[0]["field"].startswith("tags") and f"{MAX_DEPTH} levels" in details[0]["message"]


def test_convert_into_collects_with_other_checks_and_prefixes_fields() -> None:
    errors = FieldErrors()
    errors.add("other", "a rule of the caller", None)
    assert convert_into({"label": 1}, Item, errors, where="items[3].") is None
    assert [d["field"] for d in errors.details] == ["other", "items[3].label", "items[3].link"]


def test_the_markers_leave_the_json_schema_unchanged() -> None:
    class Plain(msgspec.Struct):
        link: Annotated[str, msgspec.Meta(max_length=100)]
        email: Annotated[str, msgspec.Meta(max_length=320)] | None = None

    class Marked(msgspec.Struct):
        link: Annotated[str, msgspec.Meta(max_length=100), URL]
        email: Annotated[str, msgspec.Meta(max_length=320), EMAIL] | None = None

    plain, marked = msgspec.json.schema(Plain), msgspec.json.schema(Marked)
    assert plain["$defs"]["Plain"]["properties"] == marked["$defs"]["Marked"]["properties"]
