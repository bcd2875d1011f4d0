"""BadgeKit badges at the three levels (``…/badges[/{slug}]`` under a system, an issuer or a program,
:mod:`hosting.badgekit.levels`): the level owner's badge classes, with BadgeKit's fields (stored in the badge
class's BadgeKit columns; the OB ``description`` is the ``consumerDescription``). Badge slugs are unique per
owning issuer row: an issuer's own badges and its programs' badges share one namespace."""

from __future__ import annotations

from typing import Any

from litestar import Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.images import read_image
from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.badgekit.errors import ResourceConflict
from hosting.badgekit.levels import Level, at_levels, resolve_level
from hosting.badgekit.milestones import parse_milestones, resolve_milestones
from hosting.badgekit.systems import read_badgekit_body
from hosting.lib.body import FieldErrors
from hosting.lib.errors import InvalidInput, NotFound
from hosting.lib.numbers import whole_number
from hosting.lib.times import iso
from hosting.storage.models import BadgeClass
from hosting.storage.store import HostingStore

__all__ = ["ROUTE_HANDLERS", "badge_json", "find_level_badge"]

TIME_UNITS = ("minutes", "hours", "days", "weeks")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


def badge_json(badge: BadgeClass, level: Level, state: HostingState) -> dict[str, Any]:
    return {
        "id": badge.id, "slug": badge.slug, "name": badge.name, "strapline": badge.strapline,
        "earnerDescription": badge.earner_description, "consumerDescription": badge.consumer_description,
        "issuerUrl": badge.issuer_url, "rubricUrl": badge.rubric_url, "timeValue": badge.time_value,
        "timeUnits": badge.time_units, "limit": badge.limit, "unique": badge.unique,
        "created": iso(badge.created_at), "imageUrl": state.urls.badge_image(badge.public_id),
        "type": badge.badge_type, "archived": badge.archived, "system": level.system_body,
        "criteriaUrl": badge.criteria_url,
        "criteria": [{"id": i, "description": c.get("description"), "required": bool(c.get("required")),
                      "note": c.get("note")} for i, c in enumerate(badge.criteria_items or [], start=1)],
        "categories": list(badge.categories or []), "tags": list(badge.tags or []),
        "milestones": [dict(m) for m in badge.milestones or []],
    }


async def find_level_badge(request: Request[Any, Any, Any], session: AsyncSession, caller: BadgeKitCaller,
                           state: HostingState, badge_slug: str, *,
                           missing: str = "Could not find badge field: `slug`, value: `{}`"
                           ) -> tuple[Level, BadgeClass]:
    """The level the path names and its badge ``badge_slug`` (never a badge of another level); ``missing``: the
    404 message (the badges seed words it one way for GET, another for DELETE)."""
    level = await resolve_level(request, session, caller, state)
    badge = await session.scalar(select(BadgeClass).where(level.badges(), BadgeClass.slug == badge_slug))
    if badge is None:
        raise NotFound(missing.format(badge_slug))
    return level, badge


def _bool(errors: FieldErrors, data: dict[str, Any], field: str) -> bool | None:
    value = data[field]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    errors.add(field, "must be a boolean", value)
    return None


def _int(errors: FieldErrors, data: dict[str, Any], field: str) -> int | None:
    value = data[field]
    if value is None or value == "":
        return None
    number = whole_number(value)
    if number is not None and 0 <= number <= 2_000_000_000:
        return number
    errors.add(field, "must be a whole number from 0", value)
    return None


def _str_list(errors: FieldErrors, data: dict[str, Any], field: str) -> list[str]:
    value = data[field]
    if isinstance(value, str):  # a form field: comma-separated
        value = [v for v in (p.strip() for p in value.split(",")) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 255 and "\x00" not in v
                                              for v in value):
        errors.add(field, "must be a list of names (1-255 characters each, no NUL)", None)
        return []
    return list(value)


def _criteria(errors: FieldErrors, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        errors.add("criteria", "must be a list of {description, required, note}", None)
        return []
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("description"), str) \
                or not item["description"].strip():
            errors.add("criteria", "each item needs a description", None)
            return []
        if "\x00" in item["description"] or "\x00" in str(item.get("note") or ""):
            errors.add("criteria", "must not contain NUL characters", None)
            return []
        out.append({"description": item["description"].strip(), "required": bool(item.get("required", False)),
                    "note": item.get("note") if isinstance(item.get("note"), str) else None})
    return out


_TEXT = {"name": ("name", 255), "strapline": ("strapline", 140), "earnerDescription": ("earner_description", 10_000),
         "consumerDescription": ("consumer_description", 10_000), "type": ("badge_type", 255)}
_URLS = {"issuerUrl": "issuer_url", "rubricUrl": "rubric_url", "criteriaUrl": "criteria_url"}
_REQUIRED = ("slug", "name", "earnerDescription", "consumerDescription", "type")


def _fields(data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Column values for the BadgeKit fields ``data`` gives (every required one when ``creating``). ``description``
    (the OB description, which the seed's form and multipart updates send) is the ``consumerDescription`` when
    that is not given."""
    if data.get("consumerDescription") in (None, "") and data.get("description") not in (None, ""):
        data = {**data, "consumerDescription": data["description"]}
    errors = FieldErrors()
    out: dict[str, Any] = {}
    if creating:
        for field in _REQUIRED:
            if data.get(field) in (None, ""):
                errors.add(field, "required", data.get(field))
        if data.get("image") in (None, "", b""):
            errors.add("image", "required (an uploaded image, or imageUrl)", None)
    if "slug" in data and data["slug"] not in (None, ""):
        out["slug"] = errors.slug(data)
    for field, (column, limit) in _TEXT.items():
        if field in data and data[field] not in (None, ""):
            out[column] = errors.text(data, field, max_len=limit)
    for field, column in _URLS.items():
        if field in data:
            out[column] = errors.url(data, field) if data[field] not in (None, "") else None
    for field, column in (("timeValue", "time_value"), ("limit", "limit")):
        if field in data:
            out[column] = _int(errors, data, field)
    if data.get("timeUnits") not in (None, ""):
        if data["timeUnits"] in TIME_UNITS:
            out["time_units"] = data["timeUnits"]
        else:
            errors.add("timeUnits", f"must be one of {', '.join(TIME_UNITS)}", data["timeUnits"])
    for field in ("unique", "archived"):
        if field in data:
            out[field] = _bool(errors, data, field)
    for field in ("categories", "tags"):
        if field in data:
            out[field] = _str_list(errors, data, field)
    if "criteria" in data:
        out["criteria_items"] = _criteria(errors, data["criteria"])
    if "milestones" in data:
        out["milestones"] = parse_milestones(errors, data["milestones"] or [])
    errors.raise_if_any()
    if "consumer_description" in out:
        out["description"] = out["consumer_description"]
    return out


def _criteria_narrative(fields: dict[str, Any]) -> str:
    items = fields.get("criteria_items") or []
    if items:
        return "\n".join(f"- {c['description']}" for c in items)
    return str(fields.get("earner_description") or fields.get("description") or "")


async def _conflict(session: AsyncSession, level: Level, state: HostingState, slug: str) -> None:
    existing = await session.scalar(select(BadgeClass).where(BadgeClass.issuer_id == level.owner.id,
                                                             BadgeClass.slug == slug))
    if existing is not None:
        raise ResourceConflict("badge with that `slug` already exists", existing=badge_json(existing, level, state))


@get(at_levels("/badges"))
async def list_badges(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                      caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                      archived: str = Parameter(default="false")) -> dict[str, Any]:
    """The level's badges: unarchived (default), ``archived=true`` only archived, ``any`` all."""
    if archived not in ("true", "false", "any"):
        raise InvalidInput("invalid archived", details=[
            {"field": "archived", "message": "must be true, false or any", "value": archived}])
    level = await resolve_level(request, db_session, caller, hosting)
    query = select(BadgeClass).where(level.badges()).order_by(BadgeClass.id)
    if archived != "any":
        query = query.where(BadgeClass.archived.is_(archived == "true"))
    return {"badges": [badge_json(b, level, hosting) for b in (await db_session.scalars(query)).all()]}


@get(at_levels("/badges/{badge_slug:str}"))
async def get_badge(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                    caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                    badge_slug: FromPath[str]) -> dict[str, Any]:
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    return {"badge": badge_json(badge, level, hosting)}


@post(at_levels("/badges"), status_code=201)
async def create_badge(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                       caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                       store: NamedDependency[HostingStore]) -> dict[str, Any]:
    """Create a badge at the level (its OB Issuer: the system, or the issuer for issuer and program badges)."""
    data = await read_badgekit_body(request, hosting)
    fields = _fields(data, creating=True)
    image = await read_image(hosting, data.get("image"))
    level = await resolve_level(request, db_session, caller, hosting)
    await _conflict(db_session, level, hosting, fields["slug"])
    fields.setdefault("criteria_narrative", None if fields.get("criteria_url") else _criteria_narrative(fields))
    if "milestones" in fields:
        fields["milestones"] = await resolve_milestones(db_session, level.system, None, fields["milestones"])
    badge = await store.create_badge_class(level.owner, image=image or b"", program_id=(
        level.program.id if level.program is not None else None), **fields)
    return {"status": "created", "badge": badge_json(badge, level, hosting)}


@put(at_levels("/badges/{badge_slug:str}"))
async def update_badge(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                       caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                       store: NamedDependency[HostingStore], badge_slug: FromPath[str]) -> dict[str, Any]:
    """Change the fields given; ``slug`` (or the form's ``new-slug``) renames the badge."""
    data = await read_badgekit_body(request, hosting)
    fields = _fields(data, creating=False)
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug)
    if fields.get("slug") not in (None, badge.slug):
        await _conflict(db_session, level, hosting, fields["slug"])
    if "milestones" in fields:  # the badge's milestones are replaced by those given
        fields["milestones"] = await resolve_milestones(db_session, level.system, badge.id, fields["milestones"])
    fields = {column: value for column, value in fields.items()
              if value is not None or column not in ("slug", "name", "description")}
    if not fields.get("criteria_url", badge.criteria_url) \
            and not fields.get("criteria_narrative", badge.criteria_narrative):
        fields["criteria_narrative"] = _criteria_narrative(fields) or fields.get("description", badge.description)
    image = await read_image(hosting, data["image"]) if data.get("image") not in (None, "", b"") else None
    await store.update_badge_class(badge, fields, image)
    await db_session.flush()
    return {"status": "updated", "badge": badge_json(badge, level, hosting)}


@delete(at_levels("/badges/{badge_slug:str}"), status_code=200)
async def delete_badge(request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession],
                       caller: NamedDependency[BadgeKitCaller], hosting: NamedDependency[HostingState],
                       store: NamedDependency[HostingStore], badge_slug: FromPath[str]) -> dict[str, Any]:
    """Delete a badge without instances (with instances: 409, as ``/v1``; archive it instead)."""
    level, badge = await find_level_badge(request, db_session, caller, hosting, badge_slug,
                                          missing="Could not find badge with slug `{}`")
    body = badge_json(badge, level, hosting)
    await store.delete_badge_class(badge, lambda count: ResourceConflict(
        f"badge has {count} instance(s) and cannot be deleted; archive it instead", existing=body))
    return {"status": "deleted", "badge": body}


ROUTE_HANDLERS: list[Any] = [list_badges, get_badge, create_badge, update_badge, delete_badge]
