"""The badge class endpoints' bodies (parsed into these structs by :func:`hosting.lib.convert.convert`, then
turned into columns by :mod:`.inputs`) and their OpenAPI shapes."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from hosting.api.openapi import changed, envelope, page
from hosting.lib.convert import URL

__all__ = ["Badge", "BadgeChanged", "BadgeEnvelope", "BadgeInput", "BadgePage", "BadgePatch"]

_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
_Slug = Annotated[str, msgspec.Meta(pattern="^[a-z0-9-]{1,50}$")]
_Short = Annotated[str, msgspec.Meta(max_length=255)]
_Text = Annotated[str, msgspec.Meta(max_length=10_000)]
_Url = Annotated[str, msgspec.Meta(pattern="^https?://", max_length=2048), URL]
_Strings = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=255)]], msgspec.Meta(max_length=50)]
_Units = Literal["minutes", "hours", "days", "weeks"]
_IMAGE = "PNG or SVG: an http(s) URL or a data: URI; with multipart/form-data, a file part named image"


class Criteria(msgspec.Struct, forbid_unknown_fields=True):
    """OB 2.0 criteria: a URL and/or a narrative (``id`` is accepted for ``url``)."""

    url: _Url | None = None
    narrative: _Text | None = None


class CriteriaItem(msgspec.Struct, forbid_unknown_fields=True):
    """One BadgeKit criterion."""

    description: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
    required: bool = True
    note: _Text | None = None


class Alignment(msgspec.Struct, forbid_unknown_fields=True):
    targetName: _Name
    targetUrl: _Url
    targetDescription: _Text | None = None
    targetFramework: _Short | None = None
    targetCode: _Short | None = None


class Badge(msgspec.Struct):
    """A badge class as the issuer API shows it; ``image`` is the public image URL."""

    id: str
    slug: str
    issuer: str
    publicUrl: str
    image: str
    name: str
    description: str
    criteria: Criteria
    criteriaItems: list[CriteriaItem]
    tags: list[str]
    alignment: list[Alignment]
    strapline: str | None
    earnerDescription: str | None
    consumerDescription: str | None
    type: str | None
    achievementType: str | None
    imageAltText: str | None
    issuerUrl: str | None
    rubricUrl: str | None
    categories: list[str]
    timeValue: int | None
    timeUnits: _Units | None
    limit: int | None
    unique: bool
    archived: bool
    acceptance: Literal["issuer", "earner"]
    assertionCount: int
    createdAt: str
    updatedAt: str


class BadgePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change a badge class (PUT and PATCH alike): only the fields given change; ``null`` clears optional ones.
    ``criteria`` is OB's object or BadgeKit's list of items."""

    name: _Name | None | UnsetType = UNSET
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)] | None | UnsetType = UNSET
    image: Annotated[str, msgspec.Meta(description=_IMAGE)] | None | UnsetType = UNSET
    slug: _Slug | None | UnsetType = UNSET
    criteria: Criteria | list[CriteriaItem] | None | UnsetType = UNSET
    criteriaUrl: _Url | None | UnsetType = UNSET
    criteriaNarrative: _Text | None | UnsetType = UNSET
    criteriaItems: Annotated[list[CriteriaItem], msgspec.Meta(max_length=50)] | None | UnsetType = UNSET
    tags: _Strings | None | UnsetType = UNSET
    categories: _Strings | None | UnsetType = UNSET
    alignment: Annotated[list[Alignment], msgspec.Meta(max_length=50)] | None | UnsetType = UNSET
    strapline: Annotated[str, msgspec.Meta(max_length=140)] | None | UnsetType = UNSET
    earnerDescription: _Text | None | UnsetType = UNSET
    consumerDescription: _Text | None | UnsetType = UNSET
    type: _Short | None | UnsetType = UNSET
    achievementType: _Short | None | UnsetType = UNSET
    imageAltText: Annotated[str, msgspec.Meta(max_length=1024)] | None | UnsetType = UNSET
    issuerUrl: _Url | None | UnsetType = UNSET
    rubricUrl: _Url | None | UnsetType = UNSET
    timeValue: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)] | None | UnsetType = UNSET
    timeUnits: _Units | None | UnsetType = UNSET
    limit: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None | UnsetType = UNSET
    unique: bool | None | UnsetType = UNSET
    archived: bool | None | UnsetType = UNSET
    acceptance: Annotated[Literal["issuer", "earner"], msgspec.Meta(
        description="who accepts its assertions unless an issue request says: the issuer (at once, the "
                    "default) or the earner (pending until accepted)")] | None | UnsetType = UNSET


BadgeInput = msgspec.defstruct(
    "BadgeInput",
    [("name", _Name), ("description", Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]),
     ("image", Annotated[str, msgspec.Meta(description=_IMAGE)]),
     *[(f.name, f.type, None) for f in msgspec.structs.fields(BadgePatch)
       if f.name not in ("name", "description", "image")]],
    forbid_unknown_fields=True,
)
"""Create a badge class (JSON or form): ``name``, ``description``, ``image`` and criteria (url or narrative)."""

BadgeEnvelope = envelope("badge", Badge)
BadgeChanged = changed("badge", Badge)
BadgePage = page("badges", Badge)
