"""OpenAPI declarations for the issuer API (``/v1``), served at ``/schema/openapi.json``.

Handlers read their bodies with :func:`hosting.lib.body.read_body` (JSON, form or multipart, capped) and convert
them into a msgspec ``Struct`` with :func:`hosting.lib.convert.convert`; they return plain dicts. Each handler
declares the same struct in its decorator, so one struct is the parser and the documented shape::

    @post("/", status_code=201, **api_doc(IssuerChanged, status=201, body=IssuerInput, errors=(409,)))

:func:`api_doc` gives the decorator the success response, the request body (the struct the handler converts
the body into), the error responses (always 400, 401 and 403, plus those
named) with one shared :class:`ApiErrorBody` schema, and the bearer security requirement. The structs below are
the shared resource shapes; an area with shapes of its own declares its structs next to its handlers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, Operation, Parameter, RequestBody, Schema, SecurityScheme
from litestar.openapi.spec.media_type import OpenAPIMediaType
from msgspec import UNSET, UnsetType

from hosting.lib.convert import EMAIL, URL
from hosting.lib.evidence import EVIDENCE_TYPES
from hosting.lib.http import JSON

__all__ = [
    "ALWAYS_ERRORS",
    "API_COMPONENTS",
    "API_SECURITY",
    "FORM",
    "JSON",
    "MULTIPART",
    "ApiErrorBody",
    "ApiErrorDetail",
    "Assertion",
    "CredlyEvidenceItem",
    "EvidenceItem",
    "Issuer",
    "IssuerInput",
    "PageMetadata",
    "Staff",
    "StaffChanged",
    "StaffInput",
    "StaffPage",
    "StaffRoleInput",
    "api_doc",
    "body_schema",
    "changed",
    "envelope",
    "page",
    "security_scheme",
]



def security_scheme(name: str, scheme: SecurityScheme) -> tuple[list[dict[str, list[str]]], Components]:
    """An API's security requirement (``security=`` of :func:`api_doc`) naming ``scheme``, and the components
    declaring it under ``name`` (for the app's ``OpenAPIConfig``)."""
    return [{name: []}], Components(security_schemes={name: scheme})


API_SECURITY, API_COMPONENTS = security_scheme("bearer", SecurityScheme(
    type="http", scheme="bearer", bearer_format="obt_ token (openbadges-server create-token)",
    description="Authorization: Bearer obt_…; scopes issuer:read, issuer:write, assertion:write, admin. "
                "OAuth2 access tokens (oba_…, from /o/token) work too, their Badgr scopes mapped onto these "
                "(docs/compat-badgr.md)"))
ALWAYS_ERRORS = (400, 401, 403)  # every /v1 call: bad parameters or body, no/bad token, missing scope or role
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

_ERROR_DESCRIPTIONS = {
    400: "ValidationError: malformed body or parameters; `details` lists each field",
    401: "Unauthorized: missing, invalid, expired or revoked token",
    403: "Forbidden: the token lacks the scope, or the user's role does not allow this",
    404: "ResourceNotFound (also for resources of issuers the user holds no role on)",
    409: "ResourceConflict: taken slug, duplicate, last owner, limit reached …; `details` names the resource",
    410: "Gone",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
}


# --- errors -------------------------------------------------------------------------------------------------

class ApiErrorDetail(msgspec.Struct):
    """One problem: the field (dotted path), what is wrong, and the offending value (truncated)."""

    message: str
    field: str | None = None
    value: Any = None
    resource: str | None = None


class ApiErrorBody(msgspec.Struct):
    """Every error the API answers: a stable ``code`` (ValidationError, Unauthorized, Forbidden,
    ResourceNotFound, ResourceConflict, Gone, …), a message, and for validation errors the fields.
    Batch operations add ``errors`` (per item) and ``error_index`` (the first failing item)."""

    code: str
    message: str
    details: list[ApiErrorDetail] | None = None
    errors: list[Any] | None = None
    error_index: int | None = None


# --- shared shapes ------------------------------------------------------------------------------------------

class PageMetadata(msgspec.Struct):
    """Badgr-style pagination; the assertion listings add ``per_page`` and ``next_cursor`` (cursor mode:
    ``current_page``, ``total_count`` and ``total_pages`` are null)."""

    count: int
    current_page: int | None
    total_count: int | None
    total_pages: int | None
    next_page_url: str | None
    previous_page_url: str | None
    per_page: int | None = None
    next_cursor: str | None = None


class Issuer(msgspec.Struct):
    id: str
    slug: str
    name: str
    url: str
    email: str | None
    description: str | None
    image: str | None
    publicUrl: str
    role: Literal["owner", "editor", "staff"] | None
    createdAt: str
    updatedAt: str


_URL = Annotated[str, msgspec.Meta(max_length=2048, description="absolute http(s) URL",
                                   extra_json_schema={"format": "uri"}), URL]
_EMAIL = Annotated[str, msgspec.Meta(max_length=320, extra_json_schema={"format": "email"}), EMAIL]
_NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
_SLUG = Annotated[str, msgspec.Meta(pattern="^[a-z0-9-]{1,50}$")]
_IMAGE = "an http(s) URL, a data: URI, or (multipart) the file; PUT/PATCH: null or \"\" removes it"


class IssuerInput(msgspec.Struct, forbid_unknown_fields=True):
    """Create an issuer (JSON, form or multipart): ``name``, ``url`` and ``email`` required; ``slug`` derived
    from the name if absent."""

    name: _NAME
    url: _URL
    email: _EMAIL
    slug: _SLUG | UnsetType = UNSET
    description: str | None = None
    image: Annotated[str | None, msgspec.Meta(description=_IMAGE)] = None


class IssuerPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Change an issuer (PUT and PATCH alike): only the fields given change."""

    name: _NAME | UnsetType = UNSET
    url: _URL | UnsetType = UNSET
    email: _EMAIL | UnsetType = UNSET
    slug: _SLUG | UnsetType = UNSET
    description: str | None | UnsetType = UNSET  # null or "" clears it
    image: Annotated[str | None, msgspec.Meta(description=_IMAGE)] | UnsetType = UNSET


class Staff(msgspec.Struct):
    email: str
    role: Literal["owner", "editor", "staff"]
    createdAt: str


class StaffInput(msgspec.Struct, forbid_unknown_fields=True):
    email: _EMAIL
    role: Literal["owner", "editor", "staff"]


class StaffRoleInput(msgspec.Struct, forbid_unknown_fields=True):
    role: Literal["owner", "editor", "staff"]
    email: str | UnsetType = UNSET  # accepted (echo of a GET) and ignored


class _Ref(msgspec.Struct):
    id: str
    slug: str


class _BadgeRef(msgspec.Struct):
    id: str
    slug: str
    name: str


class _Recipient(msgspec.Struct):
    identity: str
    type: str
    hashed: bool


class Assertion(msgspec.Struct):
    """The issuer's (private) view of one assertion: the recipient in plaintext; ``jws`` (OB 2.0 signed) or
    ``jwt`` (OB 3.0 VC-JWT) when present."""

    id: str
    slug: str | None
    badge: _BadgeRef
    issuer: _Ref
    format: Literal["ob2", "ob3"]
    publicUrl: str
    imageUrl: str
    state: Literal["pending", "active", "rejected", "revoked", "replaced"]
    stateUpdatedAt: str | None
    acceptUrl: str | None
    recipientNameShown: bool
    expired: bool
    recipient: _Recipient
    recipientName: str | None
    issuerEarnerId: str | None
    issuedOn: str | None
    expires: str | None
    narrative: str | None
    evidence: list[Any]
    verification: Literal["hosted", "signed"]
    locale: str | None
    revocationReason: str | None
    revokedAt: str | None
    replacedBy: str | None
    createdAt: str | None
    jws: str | None = None
    jwt: str | None = None


def envelope(name: str, shape: type, *, struct_name: str | None = None) -> type[msgspec.Struct]:
    """``{name: shape}`` (a GET of one resource)."""
    return msgspec.defstruct(struct_name or f"{shape.__name__}Envelope", [(name, shape)])


def changed(name: str, shape: type, *, struct_name: str | None = None) -> type[msgspec.Struct]:
    """``{status: created|updated|deleted|…, name: shape}`` (a write)."""
    return msgspec.defstruct(struct_name or f"{shape.__name__}Changed", [("status", str), (name, shape)])


def page(name: str, shape: type, *, struct_name: str | None = None) -> type[msgspec.Struct]:
    """``{name: [shape], metadata: PageMetadata}`` (a listing)."""
    return msgspec.defstruct(struct_name or f"{shape.__name__}Page", [(name, list[shape]),  # type: ignore[valid-type]
                                                                       ("metadata", PageMetadata)])


IssuerEnvelope = envelope("issuer", Issuer)
IssuerChanged = changed("issuer", Issuer)
IssuerPage = page("issuers", Issuer)
StaffChanged = changed("staff", Staff)
StaffPage = page("staff", Staff)
AssertionPage = page("assertions", Assertion)


# --- request bodies -----------------------------------------------------------------------------------------

@dataclass
class _RawSchema(Schema):
    """A JSON Schema given as a dict (from msgspec), emitted as is."""

    raw: dict[str, Any] = field(default_factory=dict)

    def to_schema(self) -> dict[str, Any]:
        return self.raw


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace msgspec's ``#/$defs/...`` references by the definitions (bodies are small and not recursive)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


def body_schema(shape: Any) -> dict[str, Any]:
    """The JSON Schema of a request body type (msgspec Struct, dataclass, TypedDict …), inlined."""
    schema = msgspec.json.schema(shape)
    inlined: dict[str, Any] = _inline({k: v for k, v in schema.items() if k != "$defs"}, schema.get("$defs", {}))
    return inlined


_OB_EVIDENCE = {"type": "object", "title": "Evidence", "description": "OB 2.0 Evidence, as is (an id or a narrative)",
                "properties": {"type": {"const": "Evidence"}, **{k: {"type": "string"} for k in (
                    "id", "narrative", "name", "description", "genre", "audience")}}}
# One evidence item: checked by hand (hosting/lib/evidence.py), documented as the types it takes.
EvidenceItem = Annotated[Any, msgspec.Meta(
    description="an http(s) URL, one of Credly's evidence objects, or an OB 2.0 Evidence object",
    extra_json_schema={"anyOf": [{"type": "string", "format": "uri"}, *(body_schema(t) for t in EVIDENCE_TYPES),
                                 _OB_EVIDENCE]})]
CredlyEvidenceItem = Annotated[Any, msgspec.Meta(
    description="one of Credly's evidence objects",
    extra_json_schema={"anyOf": [body_schema(t) for t in EVIDENCE_TYPES]})]


def _operation_with(body: RequestBody | None, parameters: Sequence[Parameter]) -> type[Operation]:
    @dataclass
    class _DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            if body is not None:
                self.request_body = body
            if parameters:  # after the path parameters Litestar found in the signature
                self.parameters = [*(self.parameters or []), *parameters]

    return _DocumentedOperation


def api_doc(ok: type | None = None, *, status: int = 200, body: Any = None, body_required: bool = True,
            media_types: Iterable[str] = (JSON, FORM, MULTIPART), errors: Iterable[int] = (),
            description: str | None = None, error_body: type = ApiErrorBody,
            error_descriptions: Mapping[int, str] = _ERROR_DESCRIPTIONS,
            security: list[dict[str, list[str]]] = API_SECURITY,
            parameters: Sequence[Parameter] = (), always: Iterable[int] = ALWAYS_ERRORS) -> dict[str, Any]:
    """Keyword arguments for a ``/v1`` handler decorator documenting it in the OpenAPI document.

    ``ok``: the type of the ``status`` (2xx) response body; ``body``: the type of the request body (documented
    for ``media_types``), ``None`` for none; ``errors``: the statuses it answers with an error besides
    ``always`` (default 400/401/403); ``parameters``: query parameters the handler reads itself. The bearer
    security requirement and :class:`ApiErrorBody` unless ``security`` and ``error_body`` say otherwise (the
    Credly and BadgeKit APIs' own).
    """
    responses: dict[int, ResponseSpec] = {
        code: ResponseSpec(data_container=error_body, generate_examples=False,
                           description=error_descriptions.get(code, "Error"))
        for code in sorted({*always, *errors})
    }
    if ok is not None:
        responses[status] = ResponseSpec(data_container=ok, generate_examples=False,
                                         description=description or "Success")
    kwargs: dict[str, Any] = {"responses": responses, "security": security}
    request_body = None
    if body is not None:
        schema = _RawSchema(raw=body_schema(body))
        request_body = RequestBody(content={media: OpenAPIMediaType(schema=schema) for media in media_types},
                                   required=body_required)
    if request_body is not None or parameters:
        kwargs["operation_class"] = _operation_with(request_body, parameters)
    return kwargs
