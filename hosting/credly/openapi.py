"""The Credly API in the OpenAPI document (tag ``credly``): its request bodies, Credly's envelope and error shapes,
and the HTTP Basic scheme (the API token as the user name, an empty password). Each handler's decorator takes
:func:`credly_doc`; the structs are shapes only (the handlers parse bodies in :mod:`hosting.credly.inputs`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

import msgspec
from litestar.openapi.spec import OpenAPIType, Parameter, Schema, SecurityScheme

from hosting.api.openapi import CredlyEvidenceItem, api_doc, security_scheme
from hosting.credly.inputs import LOCALES

__all__ = [
    "CREDLY_COMPONENTS",
    "CREDLY_SECURITY",
    "SEARCH_PARAMETERS",
    "TEMPLATE_LIST_PARAMETERS",
    "CredlyBadge",
    "CredlyBadgeEnvelope",
    "CredlyBadgeList",
    "CredlyBatchInput",
    "CredlyErrorBody",
    "CredlyIssueInput",
    "CredlyReplaceInput",
    "CredlyRevokeInput",
    "CredlySearchPage",
    "CredlyTemplateEnvelope",
    "CredlyTemplateInput",
    "CredlyTemplateList",
    "CredlyTemplateUpdate",
    "credly_doc",
]

CREDLY_SECURITY, CREDLY_COMPONENTS = security_scheme("credly_basic", SecurityScheme(
    type="http", scheme="basic",
    description="Credly's authentication (docs/compat-credly.md): HTTP Basic with an API token of this server "
                "(obt_…, openbadges-server create-token) as the user name and an empty password; the token's "
                "scopes (issuer:read; assertion:write for badges, issuer:write for templates) and its user's "
                "role on the organisation apply"))

_ERRORS = {
    400: "a malformed query (unknown parameter, filter or sort key, bad value), or a body that is not JSON",
    401: "missing or malformed Basic credentials, or an unknown, revoked or expired token",
    403: "the token lacks the scope, or the user's role on the organisation does not allow this",
    404: "no such organisation (or none the user holds a role on), or no such badge or template",
    409: "the badge's state does not allow this (already revoked, replacing a rejected badge, changing an "
         "accepted badge's recipient …), or deleting a template that has issued badges",
    413: "body too large",
    422: "\"Validation failed: …\": invalid fields, an unknown or archived template, a duplicate, a bad or taken "
         "template image or vanity_slug; a batch names the first invalid item by error_index and lists every one "
         "in invalid_badges, storing nothing",
}

# --- Credly's envelope and errors ----------------------------------------------------------------------------


class CredlyFieldError(msgspec.Struct):
    attribute: str
    attribute_label: str
    messages: list[str]


class CredlyBatchItemError(msgspec.Struct):
    """One invalid item of a batch, in Credly's error shape."""

    message: str
    error_index: int
    errors: list[CredlyFieldError] | None = None


class CredlyError(msgspec.Struct):
    """``message`` (``Validation failed: …`` for invalid fields), the fields, and for a batch ``error_index`` (the
    first invalid item, as Credly answers) and ``invalid_badges`` (every invalid item: an extension)."""

    message: str
    errors: list[CredlyFieldError] | None = None
    error_index: int | None = None
    invalid_badges: list[CredlyBatchItemError] | None = None


class CredlyErrorBody(msgspec.Struct):
    """Every error of the Credly API: ``{"data": {"message", "errors"?, "error_index"?}}``."""

    data: CredlyError


# --- the badge object ----------------------------------------------------------------------------------------


class CredlyOrganization(msgspec.Struct):
    type: str
    id: str
    name: str
    url: str
    vanity_url: str | None
    verified: bool


class CredlyTemplate(msgspec.Struct):
    id: str
    name: str
    description: str | None
    state: Literal["active", "archived"]
    public: bool
    recipient_type: str
    vanity_slug: str | None
    criteria_url: str | None
    image_url: str
    url: str
    owner: CredlyOrganization
    skills: list[str]


class CredlyImage(msgspec.Struct):
    id: str
    url: str


class CredlyBadge(msgspec.Struct):
    """An issued badge as Credly shows it (the keys of the seed's responses; ``state``: pending, accepted,
    rejected or revoked; ``accept_badge_url`` while pending)."""

    id: str
    user: dict[str, Any]
    printing_enabled: bool
    issuer: CredlyOrganization
    badge_template: CredlyTemplate
    issued_to: str | None
    issued_to_first_name: str | None
    issued_to_last_name: str | None
    issuer_earner_id: str | None
    locale: str
    public: bool
    recipient_email: str | None
    replacement_badge_id: str | None
    revocation_reason: str | None
    state: Literal["pending", "accepted", "rejected", "revoked"]
    suppress_badge_notification_email: bool
    created_at: str | None
    updated_at: str | None
    expires_at: str | None
    expires_at_date: str | None
    issued_at: str | None
    issued_at_date: str
    state_updated_at: str | None
    image: CredlyImage
    image_url: str
    alignments: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    accept_badge_url: str | None
    badge_url: str
    public_url: str


class CredlyPageMetadata(msgspec.Struct):
    count: int
    current_page: int
    total_count: int
    total_pages: int
    per: int
    previous_page_url: str | None
    next_page_url: str | None


class CredlyBadgeEnvelope(msgspec.Struct):
    data: CredlyBadge
    metadata: dict[str, Any]


class CredlyBadgeList(msgspec.Struct):
    data: list[CredlyBadge]
    metadata: CredlyPageMetadata


class CredlyBatchIssued(msgspec.Struct):
    data: list[CredlyBadge]
    metadata: dict[str, Any]


class CredlyMinimalTemplate(msgspec.Struct):
    id: str
    name: str


class CredlyMinimalBadge(msgspec.Struct):
    """A badge of Get Badges in Bulk: with ``badge_format=minimal`` these keys only; with ``default`` the whole
    badge object of Get Issued Badges (:class:`CredlyBadge`, which has them all)."""

    id: str
    issued_to: str | None
    issued_to_first_name: str | None
    issued_to_last_name: str | None
    issuer_earner_id: str | None
    public: bool
    recipient_email: str | None
    state: Literal["pending", "accepted", "rejected", "revoked"]
    created_at: str | None
    expires_at: str | None
    issued_at: str | None
    state_updated_at: str | None
    badge_template: CredlyMinimalTemplate


class CredlyCursorMetadata(msgspec.Struct):
    count: int
    next_page_url: Annotated[str | None, msgspec.Meta(description="the next page (its cursor); null on the last")]


class CredlySearchPage(msgspec.Struct):
    """A page of Get Badges in Bulk: at most 50 badges in creation order and the next page's URL."""

    data: list[CredlyMinimalBadge]
    metadata: CredlyCursorMetadata


# --- badge templates -----------------------------------------------------------------------------------------


class CredlyTemplateAlignment(msgspec.Struct):
    id: str
    name: str | None
    url: str | None
    description: str | None


class CredlyTemplateDetail(CredlyTemplate):
    """A badge template as its routes answer it: the template object of a badge, the issued badges' count
    (``badges_count``, ``get_issue_count``) and the template's settings ``reporting_tags`` and
    ``badges_issued_as_accepted``."""

    global_activity_url: str | None
    created_at: str | None
    updated_at: str | None
    state_updated_at: str | None
    image: CredlyImage
    alignments: list[CredlyTemplateAlignment]
    badges_count: int
    get_issue_count: int
    reporting_tags: list[str]
    badges_issued_as_accepted: bool


class CredlyTemplateEnvelope(msgspec.Struct):
    data: CredlyTemplateDetail
    metadata: dict[str, Any]


class CredlyTemplateList(msgspec.Struct):
    data: list[CredlyTemplateDetail]
    metadata: CredlyPageMetadata


# --- request bodies ------------------------------------------------------------------------------------------

_MOMENT = Annotated[str, msgspec.Meta(description="2014-04-01 09:41:00 -0500, ISO 8601 (2014-04-01T14:41:00Z) "
                                                  "or a date (midnight UTC)")]
_NAME = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
_Locale = Annotated[str, msgspec.Meta(description="the email's language (English for a locale without templates)",
                                      extra_json_schema={"enum": list(LOCALES)})]


class CredlyIssueInput(msgspec.Struct, forbid_unknown_fields=True):
    """Issue a Badge (Credly's fields). The badge is pending until the earner accepts it; its email (in
    ``locale``, English for the others) carries the accept link unless suppressed."""

    recipient_email: Annotated[str, msgspec.Meta(max_length=320, extra_json_schema={"format": "email"})]
    issued_to_first_name: _NAME
    issued_to_last_name: _NAME
    badge_template_id: Annotated[str, msgspec.Meta(description="a badge class of the organisation (id or slug)")]
    issued_at: _MOMENT
    issued_to: str | None = None
    user_id: str | None = None
    issuer_earner_id: str | None = None
    locale: _Locale | None = None
    suppress_badge_notification_email: bool = False
    expires_at: _MOMENT | None = None
    evidence: list[CredlyEvidenceItem] | None = None
    notification_message: Annotated[str | None, msgspec.Meta(description="put into the earner's email")] = None


class CredlyReplaceInput(CredlyIssueInput, forbid_unknown_fields=True, kw_only=True):
    """Replace a badge: the issue fields, none inherited from the old badge; ``recipient_email`` optional (it may
    change only while the old badge is pending); ``notification_message`` goes into the earner's email."""

    recipient_email: Annotated[str, msgspec.Meta(max_length=320)] | None = None  # type: ignore[assignment]


class CredlyBatchInput(msgspec.Struct, forbid_unknown_fields=True):
    """1 to 1,000 badges, each naming its own template; all or nothing."""

    badges: list[CredlyIssueInput]


class CredlyRevokeInput(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    suppress_revoke_notification_email: bool = False


_Word = Annotated[str, msgspec.Meta(max_length=255)]
_Words = Annotated[list[_Word], msgspec.Meta(max_length=50, description="at most 50 (in a form: comma-separated)")]
_Url = Annotated[str, msgspec.Meta(extra_json_schema={"format": "uri"}, description="an http(s) URL")]


class CredlyTemplateAlignmentInput(msgspec.Struct, forbid_unknown_fields=True):
    """An alignment: OB's ``targetName``, ``targetUrl``, ``targetDescription`` (an ``id`` echoed back from a
    read is ignored)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    url: _Url
    description: Annotated[str, msgspec.Meta(max_length=10_000)] | None = None
    id: str | None = None


class CredlyTemplateUpdate(msgspec.Struct):
    """Change a badge template: the fields given only (JSON, form or multipart). The read-only keys of the
    template object may be echoed back (a GET sent as a PUT) and are ignored; any other key is a 422."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)] | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)] | msgspec.UnsetType = msgspec.UNSET
    image: Annotated[str, msgspec.Meta(
        description="a PNG or SVG: a multipart file part, a data: URI or an http(s) URL (fetched by the server)",
    )] | msgspec.UnsetType = msgspec.UNSET
    vanity_slug: Annotated[str | None, msgspec.Meta(
        description="the badge class's slug; a taken one is a 422")] | msgspec.UnsetType = msgspec.UNSET
    skills: _Words | None | msgspec.UnsetType = msgspec.UNSET
    reporting_tags: _Words | None | msgspec.UnsetType = msgspec.UNSET
    criteria_url: _Url | None | msgspec.UnsetType = msgspec.UNSET
    global_activity_url: _Url | None | msgspec.UnsetType = msgspec.UNSET
    state: Annotated[Literal["active", "archived"], msgspec.Meta(
        description="an archived template cannot issue")] | msgspec.UnsetType = msgspec.UNSET
    alignments: Annotated[list[CredlyTemplateAlignmentInput], msgspec.Meta(max_length=50)] | None \
        | msgspec.UnsetType = msgspec.UNSET
    badges_issued_as_accepted: Annotated[bool, msgspec.Meta(
        description="badges issued under it start accepted (no accept link); the badge class's acceptance "
                    "setting, /v1's acceptance 'issuer'")] | msgspec.UnsetType = msgspec.UNSET


class CredlyTemplateInput(CredlyTemplateUpdate, kw_only=True):
    """Create a badge template (JSON, form or multipart): ``name``, ``description`` and ``image`` required."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
    image: Annotated[str, msgspec.Meta(
        description="a PNG or SVG: a multipart file part, a data: URI or an http(s) URL (fetched by the server)")]


def _query(name: str, description: str, schema: Schema) -> Parameter:
    return Parameter(name=name, param_in="query", required=False, description=description, schema=schema)


LIST_PARAMETERS: Sequence[Parameter] = (
    _query("filter", "key::value pairs joined by | (docs/compat-credly.md lists the keys)",
           Schema(type=OpenAPIType.STRING)),
    _query("sort", "keys joined by |, each optionally prefixed by - (descending)", Schema(type=OpenAPIType.STRING)),
    _query("page", "the page, from 1", Schema(type=OpenAPIType.INTEGER, minimum=1)),
    _query("per", "badges a page, 1 to 50 (default 50)", Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=50)),
)
TEMPLATE_LIST_PARAMETERS: Sequence[Parameter] = (
    _query("filter", "state::active,archived and query::text (part of the name), joined by |",
           Schema(type=OpenAPIType.STRING)),
    _query("sort", "name (default), created_at, updated_at, joined by |, each optionally prefixed by -",
           Schema(type=OpenAPIType.STRING)),
    *LIST_PARAMETERS[2:],
)
SEARCH_PARAMETERS: Sequence[Parameter] = (
    LIST_PARAMETERS[0],
    _query("badge_format", "default (the badge objects of Get Issued Badges) or minimal",
           Schema(type=OpenAPIType.STRING, enum=["default", "minimal"])),
    _query("cursor", "the next page, as given in metadata.next_page_url", Schema(type=OpenAPIType.STRING)),
)


def credly_doc(ok: type | None = None, *, status: int = 200, body: Any = None, errors: Iterable[int] = (),
               parameters: Sequence[Parameter] = (), media_types: Iterable[str] = ("application/json",),
               ) -> dict[str, Any]:
    """Decorator keywords documenting a Credly handler: Basic security, Credly's error body, JSON bodies (unless
    ``media_types`` says otherwise)."""
    return api_doc(ok, status=status, body=body, media_types=media_types, errors=(404, *errors),
                   error_body=CredlyErrorBody, error_descriptions=_ERRORS, security=CREDLY_SECURITY,
                   parameters=parameters)
