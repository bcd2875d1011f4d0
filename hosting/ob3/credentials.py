"""Open Badges 3.0 hosting: issuer DIDs (path-based ``did:web``), Profiles, Achievements, signed credentials
(Data Integrity ``eddsa-rdfc-2022`` or VC-JWT) and the issuers' BitstringStatusList credentials.

An OB 3.0 credential is an ``assertions`` row with ``format = "ob3"``: issuing rules, listing, revoking and
replacing are the issuer API's, shared with OB 2.0. What differs lives here:

* The issuer is ``did:web:<host>:public:issuers:<id>``; its DID document (``…/did.json``) publishes every
  key of the issuer (retired ones too, so old signatures keep verifying) as ``JsonWebKey2020``.
* Each credential takes a random, unused index in the issuer's revocation status list and carries a
  ``BitstringStatusListEntry``; revoking flips that bit. The list credential is rendered and signed
  (eddsa-rdfc-2022) when fetched, from the revoked rows, so it is never out of date.
* The signed credential is immutable: it is kept in ``assertions.credential`` (the JWT in ``jws``).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import openbadges_core as ob
from hosting.lib.crypto import KeyBox
from hosting.lib.errors import InvalidInput, NotFound
from hosting.lib.ids import new_public_id
from hosting.lib.times import iso
from hosting.lib.urls import PublicUrls
from hosting.storage.awards import among
from hosting.storage.models import Assertion, AssertionState, BadgeClass, Issuer, KeyState, SigningKey
from openbadges_core import ob3

__all__ = [
    "OB3_CONTEXT",
    "PROOF_TYPES",
    "STATUS_LIST_SIZE",
    "VC2_CONTEXT",
    "CredentialSigner",
    "achievement",
    "allocate_indexes",
    "credential_signer",
    "credential_values",
    "did_document",
    "issuer_did",
    "issuer_profile",
    "status_list_credential",
]

PROOF_TYPES = ("di", "jwt")
STATUS_LIST_SIZE = 131_072  # the W3C minimum (16 KiB uncompressed): herd privacy for every index
_IDENTITY_TYPES = {"email": "emailAddress", "url": "ext:url", "telephone": "ext:telephone"}
VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_DID_CONTEXT = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/jws-2020/v1"]


def issuer_did(urls: PublicUrls, issuer_public_id: str) -> str:
    """The issuer's path-based ``did:web`` (resolves to ``https://<host>/public/issuers/<id>/did.json``)."""
    netloc = urlsplit(urls.base).netloc
    path = [p for p in urlsplit(urls.base).path.split("/") if p]
    return ":".join(["did:web", quote(netloc, safe=""), *path, "public", "issuers", issuer_public_id])


def key_method_id(urls: PublicUrls, issuer_public_id: str, key_public_id: str) -> str:
    return f"{issuer_did(urls, issuer_public_id)}#key-{key_public_id}"


def did_document(issuer: Issuer, keys: list[SigningKey], urls: PublicUrls) -> bytes:
    """The DID document of the issuer: every key (active or retired) as a JsonWebKey2020 method."""
    did = issuer_did(urls, issuer.public_id)
    methods = []
    for key in keys:
        jwk = ob.load_public_key(key.public_key_pem).to_jwk()
        jwk.pop("kid", None)
        methods.append({"id": key_method_id(urls, issuer.public_id, key.public_id), "type": "JsonWebKey2020",
                        "controller": did, "publicKeyJwk": jwk})
    body = {"@context": _DID_CONTEXT, "id": did, "verificationMethod": methods,
            "assertionMethod": [m["id"] for m in methods]}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None and v != [] and v != ""}


def issuer_profile(issuer: Issuer, urls: PublicUrls) -> dict[str, Any]:
    """The issuer as an OB 3.0 Profile (its id is the issuer's DID)."""
    image = {"id": urls.issuer_image(issuer.public_id), "type": "Image"} if issuer.image_id else None
    return _drop_none({"id": issuer_did(urls, issuer.public_id), "type": ["Profile"], "name": issuer.name,
                       "url": issuer.url, "email": issuer.email, "description": issuer.description,
                       "image": image})


def achievement(badge: BadgeClass, issuer: Issuer, urls: PublicUrls) -> dict[str, Any]:
    """The badge class as an OB 3.0 Achievement (id: its public URL + ``/achievement``)."""
    alignment = [
        _drop_none({"type": ["Alignment"], "targetName": a.get("targetName"), "targetUrl": a.get("targetUrl"),
                    "targetDescription": a.get("targetDescription"), "targetFramework": a.get("targetFramework"),
                    "targetCode": a.get("targetCode")})
        for a in badge.alignment or () if isinstance(a, dict)]
    return _drop_none({
        "id": urls.achievement(badge.public_id), "type": ["Achievement"], "name": badge.name,
        "description": badge.description,
        "criteria": _drop_none({"id": badge.criteria_url, "narrative": badge.criteria_narrative}),
        "image": _drop_none({"id": urls.badge_image(badge.public_id), "type": "Image",
                             "caption": badge.image_alt_text}),
        "achievementType": badge.achievement_type, "alignment": alignment, "tag": list(badge.tags or ()),
        "creator": _drop_none({"id": issuer_did(urls, issuer.public_id), "type": ["Profile"],
                               "name": issuer.name, "url": issuer.url}),
    })


async def allocate_indexes(session: AsyncSession, issuer_id: int, count: int) -> list[int]:
    """``count`` distinct random indexes not used by another credential of this issuer (a few SELECTs:
    candidates are drawn, the taken ones looked up in chunks and drawn again)."""
    chosen: list[int] = []
    seen: set[int] = set()
    for _ in range(64):
        wanted = count - len(chosen)
        if wanted <= 0:
            return chosen
        draw = {secrets.randbelow(STATUS_LIST_SIZE) for _ in range(wanted)} - seen
        seen |= draw
        candidates = sorted(draw)
        taken: set[int] = set()
        used = select(Assertion.status_index).where(Assertion.issuer_id == issuer_id)
        for query in among(session, used, Assertion.status_index, candidates):
            taken.update(i for i in await session.scalars(query) if i is not None)
        chosen.extend(i for i in candidates if i not in taken)
    if len(chosen) < count:
        raise InvalidInput("the issuer's status list is full")
    return chosen[:count]


_ALGS = {"di": ("EdDSA",), "jwt": ("RS256", "ES256")}


async def existing_signing_key(session: AsyncSession, issuer: Issuer, proof: str) -> SigningKey | None:
    """The issuer's newest active key usable for ``proof`` (see :func:`signing_key`), or ``None``."""
    wanted = _ALGS["di" if proof == "di" else "jwt"]
    rows = (await session.scalars(
        select(SigningKey).where(SigningKey.issuer_id == issuer.id, SigningKey.state == KeyState.ACTIVE,
                                 SigningKey.alg.in_(wanted)).order_by(SigningKey.id.desc()))).all()
    for alg in wanted:
        for key in rows:
            if key.alg == alg:
                return key
    return None


async def signing_key(session: AsyncSession, keybox: KeyBox, issuer: Issuer, proof: str) -> SigningKey:
    """The issuer's newest active key usable for ``proof``: "di" needs Ed25519; "jwt" takes RS256 (the
    VC-JWT default), else ES256 — never EdDSA, which many VC-JWT verifiers reject. One is created
    (Ed25519 / RS256) when the issuer has none."""
    found = await existing_signing_key(session, issuer, proof)
    if found is not None:
        return found
    private = ob.generate_key(_ALGS[proof][0])
    key = SigningKey(public_id=new_public_id(), issuer_id=issuer.id, alg=private.alg, kid=private.kid,
                     public_key_pem=private.public_key.to_pem().decode(),
                     private_key_encrypted=keybox.encrypt(private.to_pem()), state=KeyState.ACTIVE)
    session.add(key)
    await session.flush()
    return key


def _credential_body(assertion: Assertion, badge: BadgeClass, issuer: Issuer, urls: PublicUrls) -> dict[str, Any]:
    identifier = _drop_none({
        "type": "IdentityObject", "hashed": assertion.recipient_hashed,
        "identityHash": assertion.recipient_identity,
        "identityType": _IDENTITY_TYPES.get(assertion.recipient_type, "ext:" + assertion.recipient_type),
        "salt": assertion.recipient_salt})
    list_url = urls.status_list(issuer.public_id)
    index = assertion.status_index
    if index is None:
        raise ValueError("allocate the status index before building the credential")
    data = _drop_none({
        "@context": [VC2_CONTEXT, OB3_CONTEXT],
        "id": urls.credential(assertion.public_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(issuer, urls),
        "validFrom": iso(assertion.issued_on),
        "validUntil": iso(assertion.expires) if assertion.expires else None,
        "awardedDate": iso(assertion.issued_on),
        "name": badge.name,
        "credentialSubject": _drop_none({
            "type": ["AchievementSubject"], "identifier": [identifier],
            "achievement": achievement(badge, issuer, urls), "narrative": assertion.narrative}),
        # Stored evidence is OB 2.0 shaped ("type": "Evidence"); OB 3.0 wants the type as an array.
        "evidence": [{"type": ["Evidence"], **{k: v for k, v in e.items() if k != "type"}}
                     for e in assertion.evidence or () if isinstance(e, dict)],
        "credentialStatus": ob3.status_list_entry(list_url, index),
    })
    return ob3.OpenBadgeCredential.from_dict(data).to_dict()  # validated against our OB 3.0 schema


@dataclass(frozen=True, slots=True)
class CredentialSigner:
    """What signing a credential of one issuer with one proof needs (loaded before the CPU-bound part)."""

    proof: str
    method: str
    private: Any


async def credential_signer(session: AsyncSession, urls: PublicUrls, keybox: KeyBox, issuer: Issuer,
                            proof: str) -> tuple[CredentialSigner, int]:
    """The signer for ``proof`` ("di": eddsa-rdfc-2022; "jwt": VC-JWT) and its key's row id."""
    if proof not in PROOF_TYPES:
        raise InvalidInput("proof must be 'di' or 'jwt'",
                         details=[{"field": "proof", "message": "one of di, jwt", "value": proof}])
    key = await signing_key(session, keybox, issuer, proof)
    private = ob.load_private_key(keybox.decrypt(key.private_key_encrypted))
    return CredentialSigner(proof, key_method_id(urls, issuer.public_id, key.public_id), private), key.id


def credential_values(assertion: Assertion, badge: BadgeClass, issuer: Issuer, urls: PublicUrls,
                      signer: CredentialSigner) -> dict[str, Any]:
    """The columns of a signed OB 3.0 credential row (CPU-bound, no database): ``credential``, and ``jws``
    for VC-JWT. ``assertion`` carries the row's fields, its ``status_index`` already allocated."""
    body = _credential_body(assertion, badge, issuer, urls)
    if signer.proof == "di":
        signed = ob3.sign_data_integrity(body, signer.private, verification_method=signer.method)
        return {"credential": json.dumps(signed, separators=(",", ":"), ensure_ascii=False).encode()}
    return {"jws": ob3.sign_vc_jwt(body, signer.private, kid=signer.method, allow_eddsa=True),
            "credential": json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()}


async def status_list_credential(session: AsyncSession, urls: PublicUrls, keybox: KeyBox,
                                 issuer: Issuer) -> bytes:
    """The issuer's revocation BitstringStatusListCredential, signed now (eddsa-rdfc-2022) with the Ed25519 key
    made when its first OB 3.0 credential was issued. :class:`NotFound` when it has issued none (no list)."""
    key = await existing_signing_key(session, issuer, "di")
    if key is None:
        if not await session.scalar(select(Assertion.id).where(
                Assertion.issuer_id == issuer.id, Assertion.format == "ob3").limit(1)):
            raise NotFound("the issuer has issued no OB 3.0 credential: it has no status list")
        # Credentials issued before the key was made at issue (VC-JWT only): made now, once (a write).
        key = await signing_key(session, keybox, issuer, "di")
    revoked = (await session.scalars(select(Assertion.status_index).where(
        Assertion.issuer_id == issuer.id, Assertion.format == "ob3", Assertion.status_index.is_not(None),
        Assertion.state == AssertionState.REVOKED))).all()
    bits = ob3.BitstringStatusList(STATUS_LIST_SIZE)
    bits.set_many(index for index in revoked if index is not None)
    list_url = urls.status_list(issuer.public_id)
    did = issuer_did(urls, issuer.public_id)
    body = ob3.status_list_credential(list_url, did, bits, purpose="revocation", valid_from=datetime.now(UTC))
    private = ob.load_private_key(keybox.decrypt(key.private_key_encrypted))
    method = key_method_id(urls, issuer.public_id, key.public_id)
    signed = ob3.sign_data_integrity(body, private, verification_method=method)
    return json.dumps(signed, separators=(",", ":"), ensure_ascii=False).encode()
