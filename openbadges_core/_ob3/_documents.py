"""Typed Open Badges 3.0 documents: build from Python objects, parse (VC 2.0 and VC 1.1), serialise.

Python attribute names are snake_case; JSON uses the spec's camelCase. Properties we do not model are
kept in ``extra`` and written back unchanged, so parsing and serialising never loses data.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar, Self

from openbadges_core._errors import ParseError, ValidationError, ValidationIssue
from openbadges_core._json import loads as json_loads
from openbadges_core._ob3._contexts import OB3_CONTEXT, VC1_CONTEXT, VC2_CONTEXT
from openbadges_core._ob3._schema import credential_issues
from openbadges_core._times import utc_datetime

__all__ = [
    "Achievement",
    "AchievementCredential",
    "AchievementSubject",
    "Alignment",
    "Criteria",
    "Evidence",
    "IdentityObject",
    "Image",
    "OpenBadgeCredential",
    "Profile",
    "Result",
    "hash_identity_object",
]

_CAMEL = re.compile(r"_([a-z])")
_MAX_JSON_BYTES = 4 * 1024 * 1024
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _camel(name: str) -> str:
    return _CAMEL.sub(lambda m: m.group(1).upper(), name)


def _timestamp(value: str | datetime | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is None:
        raise ValidationError("", [ValidationIssue("", "date-time", "datetimes must be timezone-aware")])
    return utc_datetime(value)


def _nested(kind: type[_Document] | None, value: Any) -> Any:
    if kind is None or not isinstance(value, Mapping):
        return value
    return kind.from_dict(value)


def _ser(value: Any) -> Any:
    if isinstance(value, _Document):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_ser(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _ser(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Document:
    """Common JSON mapping. Subclasses set ``_type`` (the JSON ``type``), ``_type_is_list`` and
    ``_nested`` (field -> class of nested objects); every other field maps by camelCase name."""

    _type: ClassVar[str]
    _type_is_list: ClassVar[bool] = True
    _nested: ClassVar[Mapping[str, type[_Document]]] = _EMPTY
    _renamed: ClassVar[Mapping[str, str]] = _EMPTY

    def _json_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("extra", "types", "context"):
                continue
            value = getattr(self, f.name)
            if value is None or value == ():
                continue
            out[self._renamed.get(f.name, _camel(f.name))] = _ser(value)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON-LD object (camelCase keys; unknown properties from ``extra`` kept)."""
        types = getattr(self, "types", None) or ((self._type,) if self._type_is_list else self._type)
        out: dict[str, Any] = {}
        ident: Any = getattr(self, "id", None)
        if ident is not None:
            out["id"] = ident
        out["type"] = list(types) if isinstance(types, tuple) else types
        out.update(self._json_fields())
        for key, value in getattr(self, "extra", _EMPTY).items():
            out.setdefault(key, value)
        return out

    def to_json(self) -> bytes:
        """Compact UTF-8 JSON of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build from a JSON object; raises :class:`ParseError` when it is not an object of this class."""
        if not isinstance(data, Mapping):
            raise ParseError(f"{cls.__name__} must be a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        json_to_field = {cls._renamed.get(n, _camel(n)): n for n in names if n not in ("extra", "types", "context")}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            field = json_to_field.get(key)
            if key == "type" and "types" in names:
                kwargs["types"] = tuple(value) if isinstance(value, list) else (value,)
            elif key in ("type", "@context"):
                continue
            elif field is None:
                extra[key] = value
            elif isinstance(value, list):
                kwargs[field] = tuple(_nested(cls._nested.get(field), v) for v in value)
            else:
                kwargs[field] = _nested(cls._nested.get(field), value)
        if "extra" in names:
            kwargs["extra"] = MappingProxyType(extra)
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise ParseError(f"{cls.__name__}: {exc}") from None

    @classmethod
    def from_json(cls, data: str | bytes) -> Self:
        """Parse JSON text (see :meth:`from_dict`)."""
        if len(data) > _MAX_JSON_BYTES:
            raise ParseError("document is too large")
        try:
            parsed = json_loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"not JSON: {exc}") from None
        return cls.from_dict(parsed)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Image(_Document):
    """An image: URL or data URI, with an optional caption."""

    _type = "Image"
    _type_is_list = False
    id: str
    caption: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Criteria(_Document):
    """How an achievement is earned: a page (``id``) and/or a Markdown ``narrative``."""

    _type = "Criteria"
    id: str | None = None
    narrative: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return self._json_fields() | ({"id": self.id} if self.id else {})


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Alignment(_Document):
    """Alignment of an achievement to a framework entry (competency, standard ...)."""

    _type = "Alignment"
    target_name: str
    target_url: str
    target_code: str | None = None
    target_description: str | None = None
    target_framework: str | None = None
    target_type: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IdentityObject(_Document):
    """A recipient identifier; ``identity_hash`` is ``sha256$<hex>`` when ``hashed``."""

    _type = "IdentityObject"
    _type_is_list = False
    identity_hash: str
    identity_type: str = "emailAddress"
    hashed: bool = True
    salt: str | None = None

    def matches(self, plaintext: str) -> bool:
        """Constant-time check that ``plaintext`` is the identity (same rules as OB 2.0)."""
        from openbadges_core._identity import identity_matches

        kind = "email" if self.identity_type == "emailAddress" else "id"
        return identity_matches({"type": kind, "identity": self.identity_hash, "hashed": self.hashed,
                                 "salt": self.salt}, plaintext)


def hash_identity_object(identity: str, *, identity_type: str = "emailAddress",
                         salt: str | None = None) -> IdentityObject:
    """A salted sha256 :class:`IdentityObject` (random salt unless given; e-mails normalised)."""
    from openbadges_core._identity import hash_identity

    ob2 = hash_identity(identity, type="email" if identity_type == "emailAddress" else "id", salt=salt)
    return IdentityObject(identity_hash=ob2.identity, identity_type=identity_type, hashed=True, salt=ob2.salt)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Result(_Document):
    """A result (grade, score, status) the subject achieved."""

    _type = "Result"
    _nested = MappingProxyType({"alignment": Alignment})
    value: str | None = None
    status: str | None = None
    achieved_level: str | None = None
    result_description: str | None = None
    alignment: tuple[Alignment, ...] = ()
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Evidence(_Document):
    """Evidence of the achievement: a URL and/or a narrative."""

    _type = "Evidence"
    id: str | None = None
    name: str | None = None
    description: str | None = None
    narrative: str | None = None
    genre: str | None = None
    audience: str | None = None
    types: tuple[str, ...] = ("Evidence",)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Profile(_Document):
    """An issuer, creator or other party."""

    _type = "Profile"
    _nested = MappingProxyType({"image": Image})
    id: str
    name: str | None = None
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    image: Image | None = None
    types: tuple[str, ...] = ("Profile",)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Achievement(_Document):
    """What was accomplished (the OB 2.0 BadgeClass of OB 3.0)."""

    _type = "Achievement"
    _nested = MappingProxyType({"criteria": Criteria, "image": Image, "alignment": Alignment, "creator": Profile})
    id: str
    name: str
    description: str
    criteria: Criteria
    image: Image | None = None
    achievement_type: str | None = None
    alignment: tuple[Alignment, ...] = ()
    tag: tuple[str, ...] = ()
    creator: Profile | None = None
    result_description: tuple[Mapping[str, Any], ...] = ()
    types: tuple[str, ...] = ("Achievement",)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AchievementSubject(_Document):
    """The recipient (``id`` and/or hashed ``identifier``) and what they achieved."""

    _type = "AchievementSubject"
    _nested = MappingProxyType({"achievement": Achievement, "identifier": IdentityObject, "result": Result})
    achievement: Achievement
    id: str | None = None
    identifier: tuple[IdentityObject, ...] = ()
    result: tuple[Result, ...] = ()
    narrative: str | None = None
    types: tuple[str, ...] = ("AchievementSubject",)
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class OpenBadgeCredential(_Document):
    """An Open Badges 3.0 credential (``OpenBadgeCredential`` / ``AchievementCredential``).

    ``valid_from``/``valid_until`` accept aware datetimes or ISO strings. A VC 1.1 credential parsed
    with :meth:`from_dict` maps ``issuanceDate``/``expirationDate`` onto them and serialises back in
    its own version (``vc_version``).
    """

    _type = "OpenBadgeCredential"
    _nested = MappingProxyType({"issuer": Profile, "credential_subject": AchievementSubject, "image": Image,
                                "evidence": Evidence})
    id: str
    issuer: Profile | str
    valid_from: str | datetime
    credential_subject: AchievementSubject
    name: str | None = None
    description: str | None = None
    image: Image | None = None
    valid_until: str | datetime | None = None
    awarded_date: str | datetime | None = None
    evidence: tuple[Evidence, ...] = ()
    credential_schema: tuple[Mapping[str, Any], ...] = ()
    credential_status: Mapping[str, Any] | None = None
    endorsement: tuple[Mapping[str, Any], ...] = ()
    endorsement_jwt: tuple[str, ...] = ()
    refresh_service: Mapping[str, Any] | None = None
    terms_of_use: tuple[Mapping[str, Any], ...] = ()
    proof: tuple[Mapping[str, Any], ...] = ()
    types: tuple[str, ...] = ("VerifiableCredential", "OpenBadgeCredential")
    context: tuple[str | Mapping[str, Any], ...] = (VC2_CONTEXT, OB3_CONTEXT)
    vc_version: str = "2.0"
    extra: Mapping[str, Any] = dataclasses.field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        for name in ("valid_from", "valid_until", "awarded_date"):
            object.__setattr__(self, name, _timestamp(getattr(self, name)))

    @property
    def issuer_id(self) -> str:
        """The issuer's id, whether ``issuer`` is a Profile or a bare IRI."""
        return self.issuer if isinstance(self.issuer, str) else self.issuer.id

    def to_dict(self) -> dict[str, Any]:
        body = _Document.to_dict(self)
        body.pop("vcVersion", None)
        if self.vc_version == "1.1":
            for new, old in (("validFrom", "issuanceDate"), ("validUntil", "expirationDate")):
                if new in body:
                    body[old] = body.pop(new)
        proof = body.get("proof")
        if isinstance(proof, list) and len(proof) == 1:
            body["proof"] = proof  # keep the array form; single values are also accepted on parse
        return {"@context": list(self.context), **body}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, validate: bool = True) -> Self:
        """Parse a credential (VC 2.0 or VC 1.1). With ``validate`` (default), a VC 2.0 credential must
        pass our OB 3.0 JSON Schema; raises :class:`ValidationError` listing every issue."""
        if not isinstance(data, Mapping):
            raise ParseError("a credential must be a JSON object")
        ctx = data.get("@context")
        contexts = tuple(ctx) if isinstance(ctx, list) else (ctx,) if ctx is not None else ()
        version = "1.1" if contexts[:1] == (VC1_CONTEXT,) else "2.0"
        if not contexts or contexts[0] not in (VC1_CONTEXT, VC2_CONTEXT):
            raise ParseError("not a Verifiable Credential: @context must start with the VC 2.0 or 1.1 context")
        if validate and version == "2.0":
            issues = credential_issues(data, kind="achievementcredential")
            if issues:
                raise ValidationError("", issues)
        body = dict(data)
        if version == "1.1":
            for new, old in (("validFrom", "issuanceDate"), ("validUntil", "expirationDate")):
                if old in body:
                    body[new] = body.pop(old)
            if validate:
                missing = [k for k in ("id", "issuer", "validFrom", "credentialSubject") if k not in body]
                if missing:
                    raise ValidationError("", [ValidationIssue(k, "required", f"{k} is required") for k in missing])
        for key in ("proof", "credentialSchema", "termsOfUse", "endorsement"):
            if key in body and isinstance(body[key], Mapping):
                body[key] = [body[key]]
        parsed: Self = _Document.from_dict.__func__(cls, body)  # type: ignore[attr-defined]
        return dataclasses.replace(parsed, context=contexts, vc_version=version)

    def validate(self) -> None:
        """Raise :class:`ValidationError` when :meth:`to_dict` breaks the OB 3.0 JSON Schema."""
        if self.vc_version == "2.0":
            issues = credential_issues(self.to_dict(), kind="achievementcredential")
            if issues:
                raise ValidationError("", issues)


AchievementCredential = OpenBadgeCredential
