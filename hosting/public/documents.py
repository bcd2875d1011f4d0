"""Public documents of stored rows, built and serialised by :mod:`openbadges_core` (never by hand).

Each function returns the exact bytes served; the row caches them (see ``Renderable``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from hosting.lib.times import aware
from hosting.lib.urls import PublicUrls
from hosting.storage.models import Assertion, BadgeClass, Issuer, SigningKey
from openbadges_core import ob2

__all__ = [
    "OB2_KEY_ALGS",
    "assertion_document",
    "assertion_mapping",
    "badge_document",
    "iso8601",
    "issuer_document",
    "key_document",
    "revocation_list_document",
    "revoked_body",
]

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
OB2_KEY_ALGS = ("RS256", "ES256")  # the keys OB 2.0 signed assertions use (EdDSA keys serve OB 3.0 proofs)


def iso8601(moment: datetime) -> str:
    return aware(moment).isoformat().replace("+00:00", "Z")


def issuer_document(issuer: Issuer, urls: PublicUrls, *, key_public_ids: Sequence[str] = (),
                    email: str | None = None) -> bytes:
    """The OB 2.0 Issuer Profile; ``key_public_ids`` are its published keys (active ones first, then retired ones
    so that assertions signed before a retirement still verify), one IRI or a list of IRIs in ``publicKey``;
    ``email`` is published when the issuer has none of its own (a BadgeKit issuer: its system's)."""
    data: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": urls.issuer(issuer.public_id),
        "name": issuer.name,
        "url": issuer.url,
        "revocationList": urls.revocations(issuer.public_id),
    }
    if issuer.email or email:
        data["email"] = issuer.email or email
    if issuer.description:
        data["description"] = issuer.description
    if issuer.image_id is not None:
        data["image"] = urls.issuer_image(issuer.public_id)
    if key_public_ids:
        keys = [urls.key(public_id) for public_id in key_public_ids]
        data["publicKey"] = keys[0] if len(keys) == 1 else keys
    return ob2.Issuer.from_dict(data).to_json()


def badge_document(badge: BadgeClass, issuer_public_id: str, urls: PublicUrls) -> bytes:
    criteria: dict[str, Any] = {}
    if badge.criteria_url:
        criteria["id"] = badge.criteria_url
    if badge.criteria_narrative:
        criteria["narrative"] = badge.criteria_narrative
    data: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": urls.badge(badge.public_id),
        "name": badge.name,
        "description": badge.description,
        "image": urls.badge_image(badge.public_id),
        "criteria": criteria,
        "issuer": urls.issuer(issuer_public_id),
    }
    if badge.tags:
        data["tags"] = list(badge.tags)
    if badge.alignment:
        data["alignment"] = list(badge.alignment)
    return ob2.BadgeClass.from_dict(data).to_json()


def assertion_mapping(
    assertion: Assertion, badge_public_id: str, urls: PublicUrls, *, key_public_id: str | None
) -> dict[str, Any]:
    """The OB 2.0 Assertion as a mapping (hosted or, with ``key_public_id``, signed verification)."""
    recipient: dict[str, Any] = {
        "type": assertion.recipient_type,
        "hashed": assertion.recipient_hashed,
        "identity": assertion.recipient_identity,
    }
    if assertion.recipient_salt is not None:
        recipient["salt"] = assertion.recipient_salt
    verification: dict[str, Any] = {"type": "hosted"}
    if assertion.verification_type == "signed":
        if key_public_id is None:
            raise ValueError("a signed assertion needs its signing key")
        verification = {"type": "signed", "creator": urls.key(key_public_id)}
    data: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": urls.assertion(assertion.public_id),
        "recipient": recipient,
        "badge": urls.badge(badge_public_id),
        "verification": verification,
        "issuedOn": iso8601(assertion.issued_on),
        "image": urls.assertion_image(assertion.public_id),
    }
    if assertion.expires is not None:
        data["expires"] = iso8601(assertion.expires)
    if assertion.narrative:
        data["narrative"] = assertion.narrative
    if assertion.evidence:
        data["evidence"] = list(assertion.evidence)
    return data


def assertion_document(
    assertion: Assertion, badge_public_id: str, urls: PublicUrls, *, key_public_id: str | None,
    validate: bool = True,
) -> bytes:
    """The OB 2.0 Assertion's bytes; ``validate=False`` skips the schema check (for rows of one batch whose
    fields were validated on input and whose shape was checked on another row of the batch).

    Unvalidated, a hosted assertion without evidence is built with the library's typed constructors rather
    than parsed from :func:`assertion_mapping` (half the cost, the same bytes: ``tests/hosting/public``)."""
    if not validate and assertion.verification_type == "hosted" and not assertion.evidence:
        return _hosted_assertion(assertion, badge_public_id, urls).to_json()
    mapping = assertion_mapping(assertion, badge_public_id, urls, key_public_id=key_public_id)
    return ob2.Assertion.from_dict(mapping, validate=validate).to_json()


_HOSTED = ob2.VerificationObject(type="hosted")  # frozen: one instance serves every hosted assertion


def _utc(moment: datetime) -> datetime:
    """``moment`` as :func:`iso8601` writes it (naive: UTC), for ``format_datetime`` to write the same text."""
    return aware(moment)


def _hosted_assertion(assertion: Assertion, badge_public_id: str, urls: PublicUrls) -> ob2.Assertion:
    """The typed ``ob2.Assertion`` that ``Assertion.from_dict(assertion_mapping(...))`` would parse, for a hosted
    assertion without evidence (evidence objects are parsed into ``ob2.Evidence``, re-ordering their keys)."""
    return ob2.Assertion(
        id=urls.assertion(assertion.public_id),
        recipient=ob2.IdentityObject(type=assertion.recipient_type, identity=assertion.recipient_identity,
                                     hashed=assertion.recipient_hashed, salt=assertion.recipient_salt),
        badge=urls.badge(badge_public_id),
        verification=_HOSTED,
        issued_on=_utc(assertion.issued_on),
        image=urls.assertion_image(assertion.public_id),
        expires=None if assertion.expires is None else _utc(assertion.expires),
        narrative=assertion.narrative or None,
    )


def key_document(key: SigningKey, issuer_public_id: str, urls: PublicUrls) -> bytes:
    data = {
        "@context": OB2_CONTEXT,
        "type": "CryptographicKey",
        "id": urls.key(key.public_id),
        "owner": urls.issuer(issuer_public_id),
        "publicKeyPem": key.public_key_pem,
    }
    return ob2.CryptographicKey.from_dict(data).to_json()


def revocation_list_document(
    issuer_public_id: str, revoked: Iterable[tuple[str, str | None]], urls: PublicUrls
) -> bytes:
    entries: list[dict[str, Any]] = []
    for public_id, reason in revoked:
        entry: dict[str, Any] = {"id": urls.assertion(public_id)}
        if reason:
            entry["revocationReason"] = reason
        entries.append(entry)
    data = {
        "@context": OB2_CONTEXT,
        "type": "RevocationList",
        "id": urls.revocations(issuer_public_id),
        "issuer": urls.issuer(issuer_public_id),
        "revokedAssertions": entries,
    }
    return ob2.RevocationList.from_dict(data).to_json()


def revoked_body(url: str, reason: str | None) -> bytes:
    """The 410 body the hosting spec prescribes for a revoked assertion.

    Not a full Assertion (it has no recipient or badge), so it is not an ``openbadges_core`` document.
    """
    body: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "id": url,
        "type": "Assertion",
        "revoked": True,
        "revocationReason": reason or "",
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
