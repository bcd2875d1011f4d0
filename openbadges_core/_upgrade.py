"""Upgrade an Open Badges 2.0 Assertion (+ BadgeClass + Issuer) to an Open Badges 3.0 credential.

The mapping follows the OB 3.0 Implementation Guide, "Migrating from OB 2.0, OB 2.1, and CLR 1.0"
(https://www.imsglobal.org/spec/ob/v3p0/impl/#migrating-from-ob-2-0-ob-2-1-and-clr-1-0). The guide keeps the
2.0 identities next to the new ones rather than re-using them:

* the ``Achievement`` gets its own id and a ``related`` entry (type ``Related`` plus the full IRI
  ``https://w3id.org/openbadges#BadgeClass``, ``version`` "Open Badges v2p0") naming the BadgeClass;
* the issuer ``Profile`` lists the 2.0 issuer id in ``otherIdentifier`` (``identifierType`` "identifier");
* the credential links the original Assertion as ``evidence`` (type ``Evidence`` plus
  ``https://w3id.org/openbadges#Assertion``) — "Upgraded OB 2.0 assertion included within CLR 2.0".

The rest is the field-for-field correspondence of the two data models (see :func:`upgrade_assertion`).
The OB 2.0 ``verification`` and any signature are not carried: sign the result anew
(:func:`~openbadges_core.ob3.sign_vc_jwt`, :func:`~openbadges_core.ob3.sign_data_integrity`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, TypeVar

from openbadges_core._errors import HTTPStatusError, UpgradeError, ValidationError
from openbadges_core._net import DEFAULT_ACCEPT
from openbadges_core._ob2._base import ValidatedNode
from openbadges_core._ob2._documents import Assertion as OB2Assertion
from openbadges_core._ob2._documents import BadgeClass as OB2BadgeClass
from openbadges_core._ob2._documents import Issuer as OB2Issuer
from openbadges_core._ob2._model import OB2_CONTEXT, decode_json
from openbadges_core._ob2._nodes import Criteria as OB2Criteria
from openbadges_core._ob2._nodes import Evidence as OB2Evidence
from openbadges_core._ob2._nodes import Image as OB2Image
from openbadges_core._ob3._documents import (
    Achievement,
    AchievementSubject,
    Alignment,
    Criteria,
    Evidence,
    IdentityObject,
    Image,
    OpenBadgeCredential,
    Profile,
)
from openbadges_core._verify._options import VerifyOptions
from openbadges_core._verify._session import is_http_url, parse_json_object

__all__ = ["OB2_ASSERTION_TYPE", "OB2_BADGE_CLASS_TYPE", "upgrade_assertion"]

OB2_ASSERTION_TYPE = "https://w3id.org/openbadges#Assertion"
OB2_BADGE_CLASS_TYPE = "https://w3id.org/openbadges#BadgeClass"

#: OB 2.0 recipient ``type`` -> OB 3.0 ``identityType`` (IdentifierTypeEnum; other types use ``ext:<type>``).
IDENTITY_TYPES: Mapping[str, str] = {"email": "emailAddress", "url": "ext:url", "telephone": "ext:telephone",
                                     "id": "identifier"}
_EXT_NAME = re.compile(r"[A-Za-z0-9._-]+")
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s]+")
_LANGUAGE_TAG = re.compile(r"[a-z]{2,4}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?")
_NAMESPACE = uuid.UUID("5d1f0f3a-8a51-5f7e-9b0e-6f70656e6261")  # ours: uuid5 ids stable across runs

_N = TypeVar("_N", bound=ValidatedNode)


def upgrade_assertion(
    assertion: Mapping[str, Any] | OB2Assertion | str | bytes,
    badge_class: Mapping[str, Any] | OB2BadgeClass | str | bytes | None = None,
    issuer: Mapping[str, Any] | OB2Issuer | str | bytes | None = None,
    *,
    options: VerifyOptions | None = None,
    credential_id: str | None = None,
    achievement_id: str | None = None,
    issuer_id: str | None = None,
) -> OpenBadgeCredential:
    """Convert an OB 2.0 Assertion into an unsigned OB 3.0 ``OpenBadgeCredential``.

    ``assertion`` is a mapping, JSON text, a typed :class:`~openbadges_core.ob2.Assertion` or the assertion's URL. The
    BadgeClass and Issuer come from ``badge_class``/``issuer`` when given, else from the assertion
    (embedded), else by URL: first ``options.documents`` (offline), then ``options``' fetcher (default: the
    SSRF-safe :class:`~openbadges_core.SafeFetcher`, public addresses only). Every OB 2.0 document is
    validated first. Mapping (OB 2.0 -> OB 3.0):

    - Assertion: ``issuedOn`` -> ``validFrom`` and ``awardedDate``; ``expires`` -> ``validUntil``;
      ``recipient`` -> ``credentialSubject.identifier`` (IdentityObject: ``identityHash`` = the 2.0
      ``identity``, hashed or not, with ``salt``; ``identityType`` from :data:`IDENTITY_TYPES`);
      ``narrative`` -> ``credentialSubject.narrative``; ``evidence`` -> ``evidence``; ``image`` -> ``image``;
      its ``id`` -> an ``evidence`` entry typed ``https://w3id.org/openbadges#Assertion`` (http(s) ids).
    - BadgeClass -> ``achievement``: ``name``, ``description``, ``criteria``, ``image``, ``alignment``,
      ``tags`` -> ``tag``, ``@language`` -> ``inLanguage``, the issuer -> ``creator``, its ``id`` ->
      ``related``. The credential's ``name`` is the badge's name.
    - Issuer -> ``issuer`` Profile: ``name``, ``url``, ``email``, ``telephone`` -> ``phone``,
      ``description``, ``image``; its ``id`` -> ``otherIdentifier``.
    - Not carried: ``verification`` (re-sign), endorsements (2.0 Endorsements are not credentials),
      extensions (undefined in the OB 3.0 context), revocation lists (add ``credentialStatus`` yourself).

    Ids: ``credential_id`` defaults to a ``urn:uuid`` derived from the assertion id, ``achievement_id`` to
    one derived from the BadgeClass id (stable across runs), ``issuer_id`` to the 2.0 issuer id (pass
    your ``did:web``/``did:key`` issuer here).

    Raises:
        ValidationError: an OB 2.0 document breaks the OB 2.0 rules (``.issues``).
        UpgradeError: revoked assertion (``revoked`` or HTTP 410), a linked document that is not JSON or
            not available, an unusable recipient type, a result that breaks the OB 3.0 schema.
        FetchError: fetching failed (blocked address, timeout, HTTP status ...).
    """
    for name, value in (("credential_id", credential_id), ("achievement_id", achievement_id),
                        ("issuer_id", issuer_id)):
        if value is not None and not _ABSOLUTE_URI.fullmatch(value):
            raise UpgradeError(f"{name} must be an absolute URI (https:…, urn:uuid:…, did:…), not {value!r}")
    options = options or VerifyOptions()
    typed = _resolve(assertion, OB2Assertion, "assertion", options)
    if typed.revoked:
        reason = f" ({typed.revocation_reason})" if typed.revocation_reason else ""
        raise UpgradeError(f"assertion {typed.id} is revoked{reason}; a revoked badge is not upgraded")
    badge = _resolve(badge_class if badge_class is not None else typed.badge, OB2BadgeClass, "badge class",
                     options)
    if badge_class is not None and badge.id != typed.badge_id:
        raise UpgradeError(f"the badge class given is {badge.id}, but the assertion's badge is {typed.badge_id}")
    profile = _resolve(issuer if issuer is not None else badge.issuer, OB2Issuer, "issuer", options)
    if issuer is not None and profile.id != badge.issuer_id:
        raise UpgradeError(f"the issuer given is {profile.id}, but the badge class's issuer is {badge.issuer_id}")

    new_issuer = _profile(profile, issuer_id if issuer_id is not None else profile.id)
    credential = OpenBadgeCredential(
        id=credential_id or _derived_id(typed.id),
        issuer=new_issuer,
        valid_from=typed.issued_on,
        valid_until=typed.expires,
        awarded_date=typed.issued_on,
        name=badge.name,
        image=_image(typed.image),
        credential_subject=AchievementSubject(
            identifier=(_identity(typed),),
            achievement=_achievement(badge, achievement_id or _derived_id(badge.id), new_issuer),
            narrative=typed.narrative,
        ),
        evidence=(*(_evidence(e) for e in typed.evidence), *_original_assertion(typed.id)),
    )
    try:
        credential.validate()
    except ValidationError as exc:
        raise UpgradeError(f"the upgraded credential breaks the OB 3.0 schema: {exc.message}") from None
    return credential


# --- resolving the OB 2.0 documents --------------------------------------------------------------

def _resolve(value: Any, kind: type[_N], what: str, options: VerifyOptions) -> _N:
    if isinstance(value, kind):
        return value
    if isinstance(value, ValidatedNode):
        raise UpgradeError(f"expected an OB 2.0 {kind.KIND} for the {what}, got a {type(value).__name__}")
    if isinstance(value, (bytes, bytearray)) or (isinstance(value, str) and value.lstrip().startswith("{")):
        value = decode_json(value)  # JSON text; ParseError when it is not a JSON object
    elif isinstance(value, str):
        value = _load(value, what, options)
    if not isinstance(value, Mapping):
        raise UpgradeError(f"the {what} must be a JSON object (or its text), a typed OB 2.0 document or a URL, "
                           f"not {type(value).__name__}")
    if "@context" not in value:  # an embedded node: validate it as the document it stands for
        value = {"@context": OB2_CONTEXT, **value}
    return kind.from_dict(value)


def _load(url: str, what: str, options: VerifyOptions) -> dict[str, Any]:
    if not is_http_url(url):
        raise UpgradeError(f"the {what} {url!r} is neither embedded nor an http(s) URL: pass it explicitly")
    preloaded = options.documents.get(url)
    if preloaded is not None:
        return dict(preloaded)
    fetcher, _policy = options.resolved_fetcher()
    response = fetcher.fetch(url, accept=DEFAULT_ACCEPT, timeout=options.timeout)
    if response.status_code == 410 and what == "assertion":  # OB 2.0: a hosted assertion gone is revoked
        raise UpgradeError(f"assertion {url} answered HTTP 410 Gone: it is revoked; a revoked badge is not upgraded")
    if response.status_code != 200:
        raise HTTPStatusError(f"{url} ({what}) answered HTTP {response.status_code}", status_code=response.status_code,
                              url=url)
    data = parse_json_object(response.body)
    if data is None:
        raise UpgradeError(f"{url} ({what}) did not return a JSON object")
    return data


# --- mapping ----------------------------------------------------------------------------------------

def _derived_id(source: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, source)}"


def _image(value: str | OB2Image | None) -> Image | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Image(id=value)
    return Image(id=value.id, caption=value.caption)


def _identity(assertion: OB2Assertion) -> IdentityObject:
    recipient = assertion.recipient
    kind = IDENTITY_TYPES.get(recipient.type)
    if kind is None:
        if not _EXT_NAME.fullmatch(recipient.type):
            raise UpgradeError(f"recipient type {recipient.type!r} has no OB 3.0 identityType")
        kind = f"ext:{recipient.type}"
    return IdentityObject(identity_hash=recipient.identity, identity_type=kind, hashed=bool(recipient.hashed),
                          salt=recipient.salt)


def _profile(issuer: OB2Issuer, new_id: str) -> Profile:
    other = {"otherIdentifier": [{"type": "IdentifierEntry", "identifier": issuer.id,
                                  "identifierType": "identifier"}]}
    return Profile(id=new_id, name=issuer.name, url=issuer.url, email=issuer.email, phone=issuer.telephone,
                   description=issuer.description, image=_image(issuer.image), extra=other)


def _criteria(value: str | OB2Criteria) -> Criteria:
    if isinstance(value, str):
        return Criteria(id=value)
    if value.id is None and value.narrative is None:
        raise UpgradeError("the badge class criteria has neither an id nor a narrative")
    return Criteria(id=value.id, narrative=value.narrative)


def _achievement(badge: OB2BadgeClass, new_id: str, creator: Profile) -> Achievement:
    extra: dict[str, Any] = {}
    if new_id != badge.id:
        extra["related"] = [{"type": ["Related", OB2_BADGE_CLASS_TYPE], "id": badge.id,
                             "version": "Open Badges v2p0"}]
    language = badge.extra.get("@language")
    if isinstance(language, str) and _LANGUAGE_TAG.fullmatch(language):
        extra["inLanguage"] = language
    alignment = tuple(Alignment(target_name=a.target_name, target_url=a.target_url,
                                target_description=a.target_description, target_framework=a.target_framework,
                                target_code=a.target_code) for a in badge.alignment)
    return Achievement(id=new_id, name=badge.name, description=badge.description, criteria=_criteria(badge.criteria),
                       image=_image(badge.image), alignment=alignment, tag=badge.tags,
                       creator=Profile(id=creator.id, name=creator.name), extra=extra)


def _evidence(value: str | OB2Evidence) -> Evidence:
    if isinstance(value, str):
        return Evidence(id=value)
    return Evidence(id=value.id, name=value.name, description=value.description, narrative=value.narrative,
                    genre=value.genre, audience=value.audience)


def _original_assertion(assertion_id: str) -> tuple[Evidence, ...]:
    if not is_http_url(assertion_id):
        return ()
    return (Evidence(id=assertion_id, types=("Evidence", OB2_ASSERTION_TYPE),
                     name="Original Open Badges 2.0 assertion",
                     description="This credential was upgraded from the Open Badges 2.0 assertion at this URL."),)

