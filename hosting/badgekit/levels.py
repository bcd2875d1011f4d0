"""BadgeKit's three levels — a system, an issuer inside it, a program of that issuer — as stored, and the paths
that name them (``/systems/{s}``, ``/systems/{s}/issuers/{i}``, ``/systems/{s}/issuers/{i}/programs/{p}``).

A system is a top-level issuer row (``parent_id`` null); an issuer inside it is an issuer row whose ``parent_id``
is the system and whose ``badgekit_slug`` is its slug within the system; a program is a
:class:`~hosting.storage.models.BadgeKitProgram` of an issuer. A badge belongs to exactly one level: its badge
class's issuer is the level's :attr:`Level.owner` (the nearest issuer: the system for a system badge, the issuer
for an issuer or program badge) and its ``program_id`` is the program's (null above). A key bound to a system
reaches every level inside that system and nothing else (:func:`find_system`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hosting.api.lookup import not_deleted
from hosting.app.state import HostingState
from hosting.badgekit.auth import BadgeKitCaller
from hosting.lib.errors import NotFound
from hosting.storage.models import BadgeClass, BadgeKitProgram, Issuer

__all__ = ["LEVELS", "Level", "at_levels", "find_issuer", "find_program", "find_system", "issuer_json",
           "issuers_of", "program_json", "programs_of", "resolve_level", "system_issuers", "system_json"]

_SYSTEM = "/systems/{system_slug:str}"
_ISSUER = _SYSTEM + "/issuers/{issuer_slug:str}"
_PROGRAM = _ISSUER + "/programs/{program_slug:str}"
LEVELS = (_SYSTEM, _ISSUER, _PROGRAM)


def at_levels(suffix: str) -> list[str]:
    """``suffix`` under each of the three levels (one handler serves the three paths)."""
    return [level + suffix for level in LEVELS]


def program_json(program: BadgeKitProgram) -> dict[str, Any]:
    return {"id": program.id, "slug": program.slug, "name": program.name, "url": program.url,
            "email": program.email, "description": program.description, "imageUrl": None}


def issuer_json(issuer: Issuer, state: HostingState, programs: list[BadgeKitProgram]) -> dict[str, Any]:
    return {"id": issuer.id, "slug": issuer.badgekit_slug, "url": issuer.url, "name": issuer.name,
            "email": issuer.email, "description": issuer.description,
            "imageUrl": state.urls.issuer_image(issuer.public_id) if issuer.image_id is not None else None,
            "programs": [program_json(p) for p in programs]}


def system_json(system: Issuer, state: HostingState, issuers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": system.id, "slug": system.slug, "url": system.url, "name": system.name, "email": system.email,
            "description": system.description,
            "imageUrl": state.urls.issuer_image(system.public_id) if system.image_id is not None else None,
            "issuers": issuers}


async def programs_of(session: AsyncSession, issuer_ids: list[int]) -> dict[int, list[BadgeKitProgram]]:
    """The live programs of these issuers, by issuer id, in creation order (one query)."""
    out: dict[int, list[BadgeKitProgram]] = {i: [] for i in issuer_ids}
    if issuer_ids:
        for program in (await session.scalars(select(BadgeKitProgram).where(
                BadgeKitProgram.issuer_id.in_(issuer_ids), BadgeKitProgram.deleted_at.is_(None))
                .order_by(BadgeKitProgram.id))).all():
            out[program.issuer_id].append(program)
    return out


async def issuers_of(session: AsyncSession, system_ids: list[int],
                     state: HostingState) -> dict[int, list[dict[str, Any]]]:
    """The live issuers of these systems as BadgeKit JSON (each with its programs), by system id (two queries)."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in system_ids}
    if system_ids:
        issuers = (await session.scalars(select(Issuer).where(Issuer.parent_id.in_(system_ids), not_deleted())
                                         .order_by(Issuer.id))).all()
        programs = await programs_of(session, [i.id for i in issuers])
        for issuer in issuers:
            assert issuer.parent_id is not None
            out[issuer.parent_id].append(issuer_json(issuer, state, programs[issuer.id]))
    return out


async def system_issuers(session: AsyncSession, system: Issuer, state: HostingState) -> list[dict[str, Any]]:
    """The system's live issuers as BadgeKit JSON, each with its programs (two queries)."""
    return (await issuers_of(session, [system.id], state))[system.id]


async def find_system(session: AsyncSession, caller: BadgeKitCaller, slug: str) -> Issuer:
    """The system ``slug`` the caller may act on; 404 naming the slug, 403 for another system's key."""
    system = await session.scalar(select(Issuer).where(Issuer.slug == slug, Issuer.parent_id.is_(None),
                                                       not_deleted()))
    if system is None:
        raise NotFound(f"Could not find system field: `slug`, value: `{slug}`")
    caller.require_system(system)
    return system


async def find_issuer(session: AsyncSession, system: Issuer, slug: str) -> Issuer:
    """The issuer ``slug`` inside ``system`` (never another system's issuer of the same slug)."""
    issuer = await session.scalar(select(Issuer).where(Issuer.parent_id == system.id, Issuer.badgekit_slug == slug,
                                                       not_deleted()))
    if issuer is None:
        raise NotFound(f"Could not find issuer with slug `{slug}`")
    return issuer


async def find_program(session: AsyncSession, issuer: Issuer, slug: str) -> BadgeKitProgram:
    """The program ``slug`` of ``issuer`` (never another issuer's program of the same slug)."""
    program = await session.scalar(select(BadgeKitProgram).where(
        BadgeKitProgram.issuer_id == issuer.id, BadgeKitProgram.slug == slug, BadgeKitProgram.deleted_at.is_(None)))
    if program is None:
        raise NotFound(f"Could not find program field: `slug`, value: `{slug}`")
    return program


@dataclass(frozen=True, slots=True)
class Level:
    """A resolved level and the system's JSON (nested in every badge, as BadgeKit shows it)."""

    system: Issuer
    issuer: Issuer | None
    program: BadgeKitProgram | None
    system_body: dict[str, Any]

    @property
    def owner(self) -> Issuer:
        """The issuer row owning this level's badge classes (their published OB Issuer)."""
        return self.issuer or self.system

    def badges(self) -> Any:
        """SQL condition: the badge class belongs to exactly this level."""
        program_id = self.program.id if self.program is not None else None
        return (BadgeClass.issuer_id == self.owner.id) & (
            BadgeClass.program_id == program_id if program_id is not None else BadgeClass.program_id.is_(None))


async def resolve_level(request: Request[Any, Any, Any], session: AsyncSession, caller: BadgeKitCaller,
                        state: HostingState) -> Level:
    """The level the request's path names (404 for a missing one, 403 for a system outside the caller's key)."""
    params = request.path_params
    system = await find_system(session, caller, params["system_slug"])
    issuer = await find_issuer(session, system, params["issuer_slug"]) if "issuer_slug" in params else None
    program = (await find_program(session, issuer, params["program_slug"])
               if issuer is not None and "program_slug" in params else None)
    return Level(system, issuer, program, system_json(system, state, await system_issuers(session, system, state)))
