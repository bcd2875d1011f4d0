"""The BadgeKit API in the OpenAPI document (``/schema``, tag ``badgekit``): the JWT security scheme, BadgeKit's
shapes as msgspec structs, and :func:`document` giving each BadgeKit handler its responses, request body and
security requirement from its method and path (so every route of the router is described, whatever its level:
a path ending in ``/badges/{slug}`` is a badge wherever the badge lives)."""

from __future__ import annotations

import re
from copy import copy
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Operation, Parameter, Reference, SecurityScheme

from hosting.api.openapi import api_doc, changed, envelope, security_scheme

__all__ = ["BADGEKIT_COMPONENTS", "BADGEKIT_SECURITY", "ROOT_DOC", "BadgeKitErrorBody", "document"]

BADGEKIT_SECURITY, BADGEKIT_COMPONENTS = security_scheme("badgekitJwt", SecurityScheme(
    type="apiKey", name="Authorization", security_scheme_in="header",
    description='BadgeKit\'s signed requests: `Authorization: JWT token="<jwt>"`, an HS256 JWT signed with the '
                "key's shared secret (`openbadges-server create-badgekit-key`), with the claims `key` (the key's "
                "name), `exp` (required, at most 10 minutes ahead), `method` and `path` (the request's, with its "
                'query string) and, for POST and PUT, `body` = `{"alg": "sha256", "hash": "<hex sha256 of the raw '
                'body>"}`. A master key acts on every system, a system key only inside its system '
                "(docs/compat-badgekit.md)."))
_ERRORS = {400: "ValidationError: `details` lists field, message and value",
           401: "Unauthorized: no, malformed, expired or wrongly signed JWT, or one for another method, path or body",
           403: "Forbidden: the key is bound to another system (or a master key is needed)",
           404: "ResourceNotFound, naming the slug", 409: "ResourceConflict: `error`, and the existing record as "
           "`details`", 410: "Gone: a used-up or expired claim code"}


# --- errors and shapes --------------------------------------------------------------------------------------

class BadgeKitErrorDetail(msgspec.Struct):
    field: str | None
    message: str | None
    value: Any = None


class BadgeKitErrorBody(msgspec.Struct):
    """BadgeKit's errors: ``{code, message}``; a 400 adds ``details`` (each field); a 409 has ``error`` instead of
    ``message`` and the existing record as ``details``."""

    code: str
    message: str | None = None
    error: str | None = None
    details: list[BadgeKitErrorDetail] | dict[str, Any] | None = None


class BadgeKitProgram(msgspec.Struct):
    """A program of an issuer (no image: ``imageUrl`` is null)."""

    id: int
    slug: str
    name: str
    url: str | None
    email: str | None
    description: str | None
    imageUrl: str | None


class BadgeKitIssuer(msgspec.Struct, kw_only=True):
    """An issuer inside a system, with its programs (``system``: the system's slug, in the ``/issuers`` list)."""

    id: int
    slug: str | None
    url: str
    name: str
    email: str | None
    description: str | None
    imageUrl: str | None
    programs: list[BadgeKitProgram]
    system: str | None = None


class BadgeKitSystem(msgspec.Struct):
    id: int
    slug: str
    url: str
    name: str
    email: str | None
    description: str | None
    imageUrl: str | None
    issuers: list[BadgeKitIssuer]


class BadgeKitCriterion(msgspec.Struct):
    id: int
    description: str | None
    required: bool
    note: str | None


class BadgeKitMilestone(msgspec.Struct):
    """A milestone of which the badge is the primary badge: issued once ``numberRequired`` of the support badges
    (ids) are held."""

    id: int
    action: Literal["issue"]
    numberRequired: int
    supportBadges: list[int]


class BadgeKitBadge(msgspec.Struct, kw_only=True):
    id: int
    slug: str
    name: str
    strapline: str | None
    earnerDescription: str | None
    consumerDescription: str | None
    issuerUrl: str | None
    rubricUrl: str | None
    timeValue: int | None
    timeUnits: str | None
    limit: int | None
    unique: bool
    created: str | None
    imageUrl: str
    type: str | None
    archived: bool
    system: BadgeKitSystem
    issuer: dict[str, Any] | None = None
    program: dict[str, Any] | None = None
    criteriaUrl: str | None
    criteria: list[BadgeKitCriterion]
    categories: list[str]
    tags: list[str]
    milestones: list[BadgeKitMilestone]


class BadgeKitInstance(msgspec.Struct):
    slug: str
    email: str | None
    issuedOn: str | None
    expires: str | None
    claimCode: str | None
    assertionUrl: str
    badge: BadgeKitBadge


class BadgeKitClaimCode(msgspec.Struct):
    code: str
    multiuse: bool
    claimed: bool
    email: str | None
    expires: str | None


class BadgeKitApp(msgspec.Struct):
    app: Literal["BadgeKit API"]
    version: str


class BadgeKitClaimed(msgspec.Struct):
    status: str
    claimCode: BadgeKitClaimCode
    instance: BadgeKitInstance


# --- request bodies (JSON, form or multipart; forms give booleans and numbers as text) ------------------------

_SLUG = Annotated[str, msgspec.Meta(pattern="^[a-z0-9-]{1,50}$")]
_TEXT = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
_URL = Annotated[str, msgspec.Meta(max_length=2048, extra_json_schema={"format": "uri"})]
_IMAGE = Annotated[str, msgspec.Meta(description="an http(s) URL, a data: URI, or (multipart) the uploaded file")]
_BOOL = bool | Literal["true", "false"]
_WHEN = Annotated[str | int, msgspec.Meta(description="ISO 8601 date/time, or Unix seconds")]


class SystemInput(msgspec.Struct, kw_only=True):
    """Create a system, issuer or program (``slug``, ``name``, ``url`` required) or, on PUT, change the fields
    given (``slug`` or the form's ``new-slug`` renames it). Programs take no image."""

    slug: _SLUG | None = None
    name: _TEXT | None = None
    url: _URL | None = None
    email: str | None = None
    description: Annotated[str, msgspec.Meta(max_length=255)] | None = None
    image: _IMAGE | None = None
    imageUrl: _IMAGE | None = None


class MilestoneInput(msgspec.Struct, kw_only=True):
    numberRequired: Annotated[int, msgspec.Meta(ge=1)]
    supportBadges: Annotated[list[int | str], msgspec.Meta(min_length=1, max_length=100,
                                                           description="ids or slugs of the system's badges")]
    action: Literal["issue"] = "issue"


class CriterionInput(msgspec.Struct, kw_only=True):
    description: str
    required: bool = False
    note: str | None = None


class BadgeInput(msgspec.Struct, kw_only=True):
    """Create a badge (``slug``, ``name``, ``earnerDescription``, ``consumerDescription``, ``type`` and ``image``
    or ``imageUrl`` required) or, on PUT, change the fields given (``slug``/``new-slug`` renames it).
    ``criteria`` and ``milestones`` only in JSON; form ``tags``/``categories`` are comma-separated."""

    slug: _SLUG | None = None
    name: _TEXT | None = None
    strapline: Annotated[str, msgspec.Meta(max_length=140)] | None = None
    earnerDescription: str | None = None
    consumerDescription: str | None = None
    description: Annotated[str, msgspec.Meta(description="the consumerDescription, when that is not given")] \
        | None = None
    type: _TEXT | None = None
    issuerUrl: _URL | None = None
    rubricUrl: _URL | None = None
    criteriaUrl: _URL | None = None
    timeValue: Annotated[int, msgspec.Meta(ge=0)] | None = None
    timeUnits: Literal["minutes", "hours", "days", "weeks"] | None = None
    limit: Annotated[int, msgspec.Meta(ge=0)] | None = None
    unique: _BOOL | None = None
    archived: _BOOL | None = None
    image: _IMAGE | None = None
    imageUrl: _IMAGE | None = None
    criteria: list[CriterionInput] | None = None
    categories: list[str] | None = None
    tags: list[str] | None = None
    milestones: list[MilestoneInput] | None = None


class InstanceInput(msgspec.Struct, kw_only=True):
    """Issue the badge to ``email``; a ``claimCode`` of the badge is consumed."""

    email: str
    claimCode: str | None = None
    slug: _SLUG | None = None
    issuedOn: _WHEN | None = None
    expires: _WHEN | None = None


class CodeInput(msgspec.Struct, kw_only=True):
    code: Annotated[str, msgspec.Meta(pattern="^[A-Za-z0-9_-]{4,64}$")]
    multiuse: _BOOL = False


class RandomCodeInput(msgspec.Struct, kw_only=True):
    multiuse: _BOOL = False


class ClaimInput(msgspec.Struct, kw_only=True):
    email: str


# --- which shape each route has -----------------------------------------------------------------------------

_WRAPPERS: dict[tuple[str, str], type] = {}  # one struct per envelope, however many apps and levels use it


def _changed(name: str, shape: type) -> type:
    if ("changed", name) not in _WRAPPERS:
        _WRAPPERS["changed", name] = changed(name, shape, struct_name=f"{shape.__name__}Changed")
    return _WRAPPERS["changed", name]


def _envelope(name: str, shape: type) -> type:
    if ("one", name) not in _WRAPPERS:
        _WRAPPERS["one", name] = envelope(name, shape, struct_name=f"{shape.__name__}Envelope")
    return _WRAPPERS["one", name]


def _listing(name: str, shape: type) -> type:
    plural = _PLURAL.get(name, name + "s")
    if ("list", name) not in _WRAPPERS:
        _WRAPPERS["list", name] = msgspec.defstruct(f"{shape.__name__}List", [(plural, list[shape])])  # type: ignore[valid-type]
    return _WRAPPERS["list", name]


_KINDS: dict[str, tuple[str, type, Any]] = {  # collection segment: (resource name, shape, request body)
    "systems": ("system", BadgeKitSystem, SystemInput),
    "issuers": ("issuer", BadgeKitIssuer, SystemInput),
    "programs": ("program", BadgeKitProgram, SystemInput),
    "badges": ("badge", BadgeKitBadge, BadgeInput),
    "instances": ("instance", BadgeKitInstance, InstanceInput),
    "codes": ("claimCode", BadgeKitClaimCode, CodeInput),
}
_PLURAL = {"claimCode": "claimCodes"}


def _shape(method: str, path: str) -> tuple[type | None, Any, bool]:
    """(response type, request body type, body required) for a BadgeKit route."""
    parts = [p for p in path.split("/") if p]
    statics = [(i, p) for i, p in enumerate(parts) if not p.startswith("{")]
    if not statics:
        return BadgeKitApp, None, False
    index, last = statics[-1]
    if last == "random":
        return _changed("claimCode", BadgeKitClaimCode), RandomCodeInput, False
    if last == "claim":
        return BadgeKitClaimed, ClaimInput, True
    if last not in _KINDS:  # a kind this module does not know (yet): a JSON object
        return dict, (dict if method in ("POST", "PUT") else None), False
    name, shape, body = _KINDS[last]
    # /…/badges/{slug}: one resource; but /systems/{s}/instances/{email}: the earner's instances at the level
    one = index < len(parts) - 1 and (last != "instances" or "badges" in parts)
    if method == "GET":
        return _envelope(name, shape) if one else _listing(name, shape), None, False
    return _changed(name, shape), (body if method in ("POST", "PUT") else None), method == "POST"


def _errors(method: str, path: str) -> tuple[int, ...]:
    errors = [404] if path.count("{") or method != "GET" else []
    if method in ("POST", "PUT", "DELETE"):
        errors.append(409)
    if path.endswith("/claim"):
        errors.append(410)
    return tuple(errors)


_PARAM = re.compile(r"\{([^}:]+)(:[^}]*)?\}")


def document(handler: HTTPRouteHandler) -> HTTPRouteHandler:
    """A copy of ``handler`` documented from its method and path (responses, errors, body, JWT security)."""
    # A handler serving several levels is documented from its deepest path (the most parameters: the most errors).
    path = _PARAM.sub(r"{\1}", max(handler.paths, key=lambda p: (p.count("{"), p)))
    method = min(handler.http_methods)
    ok, body, required = _shape(method, path)
    doc = api_doc(ok, status=handler.status_code, body=body, body_required=required, errors=_errors(method, path),
                  error_body=BadgeKitErrorBody, security=BADGEKIT_SECURITY, error_descriptions=_ERRORS)
    out = copy(handler)
    out.responses, out.security = doc["responses"], doc["security"]
    out.operation_class = _path_ordered(doc.get("operation_class", Operation))
    return out


def _path_ordered(base: type[Operation]) -> type[Operation]:
    """``base`` with its path parameters in the order of the path. Litestar lists the path parameters a handler
    leaves to its dependencies (``system_slug``, ``issuer_slug`` …) in set order, which changes between
    processes: the OpenAPI document would too."""

    @dataclass
    class _PathOrdered(base):  # type: ignore[valid-type,misc]
        def __post_init__(self) -> None:
            if hasattr(super(), "__post_init__"):
                super().__post_init__()
            operation: Operation = self
            if operation.parameters:
                operation.parameters = sorted(operation.parameters, key=_parameter_order)

    return _PathOrdered


def _parameter_order(parameter: Parameter | Reference) -> tuple[int, int]:
    """Path parameters first, from the outermost level in; the others after, in their given order (stable)."""
    if isinstance(parameter, Parameter) and parameter.param_in == "path":
        return 0, _LEVELS.index(parameter.name) if parameter.name in _LEVELS else len(_LEVELS)
    return 1, 0


_LEVELS = ("system_slug", "issuer_slug", "program_slug", "badge_slug")


ROOT_DOC: dict[str, Any] = {
    **api_doc(BadgeKitApp, errors=(404,), error_body=BadgeKitErrorBody, security=BADGEKIT_SECURITY,
              error_descriptions={**_ERRORS, 404: "no BadgeKit JWT: the root is not a route for other clients"},
              always=(401,)),
    "tags": ["badgekit"],
    "summary": "BadgeKit API (ping)",
}
