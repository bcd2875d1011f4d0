"""VC-JWT for Open Badges 3.0: sign (RS256 default, ES256, EdDSA opt-in) and verify.

Signing writes the VC 2.0 form (the JWT payload is the credential) with the registered claims
``iss = issuer.id``, ``jti = id``, ``sub = credentialSubject.id``, ``nbf = validFrom``,
``exp = validUntil``. Verifying accepts that form and the VC 1.1 form (credential in a ``vc`` claim),
``typ`` ``JWT`` / ``vc+jwt`` / ``vc+ld+json+jwt``, checks the claims against the credential, pins the
algorithm by the key type (via :func:`openbadges_core.verify_jws`), and resolves keys from ``kid``
(``did:key``, ``did:jwk``, ``did:web`` and HTTPS JWK/JWKS through the caller's fetcher). A ``did:key`` /
``did:jwk`` issuer is its own key. A key taken from the header ``jwk`` alone proves the signature, not the
issuer: ``issuer_trusted`` is then False unless the caller pinned that key or the issuer lists it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from openbadges_core._errors import (
    KeyMaterialError,
    OpenBadgesError,
    SignatureError,
    SigningError,
    UnsupportedAlgorithmError,
)
from openbadges_core._json import loads as json_loads
from openbadges_core._jws import decode_jws_unverified, sign_jws, verify_jws, verify_jws_payload
from openbadges_core._keyio import load_public_key
from openbadges_core._keys import PublicKey, Signer
from openbadges_core._net import Fetcher
from openbadges_core._ob3._contexts import BoundedCache
from openbadges_core._ob3._didkeys import _fetch_json, fetch_did_web_document
from openbadges_core._ob3._documents import OpenBadgeCredential
from openbadges_core._ob3._multibase import multibase_decode
from openbadges_core._urls import is_under

__all__ = ["VcJwtResult", "sign_vc_jwt", "verify_vc_jwt"]

_TYPS = ("JWT", "vc+jwt", "vc+ld+json+jwt")
_JWT_CLAIMS = ("iss", "jti", "sub", "nbf", "exp", "iat", "aud")


@dataclass(frozen=True, slots=True)
class VcJwtResult:
    """A VC-JWT whose signature verified.

    ``issuer_trusted`` is True when the key was pinned by the caller, is the issuer's own ``did:key`` /
    ``did:jwk``, or was published under the issuer's own identifier (its DID, or a ``kid`` URL below the issuer id), or when the header ``jwk`` is listed
    (by JWK thumbprint) in the issuer's document fetched with the fetcher; False for a bare header ``jwk``.
    ``expired`` / ``not_yet_valid`` report the time window (the caller decides what they mean).
    """

    credential: dict[str, Any]
    header: dict[str, Any]
    key: PublicKey
    issuer_trusted: bool
    vc_version: str
    expired: bool
    not_yet_valid: bool


def _epoch(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _subject_id(credential: Mapping[str, Any]) -> Any:
    subject = credential.get("credentialSubject")
    if isinstance(subject, list) and subject:
        subject = subject[0]
    return subject.get("id") if (type(subject) is dict or isinstance(subject, Mapping)) else None


def _issuer_id(credential: Mapping[str, Any]) -> Any:
    issuer = credential.get("issuer")
    return issuer.get("id") if (type(issuer) is dict or isinstance(issuer, Mapping)) else issuer


def sign_vc_jwt(
    credential: OpenBadgeCredential | Mapping[str, Any],
    signer: Signer,
    *,
    kid: str | None = None,
    include_jwk: bool | None = None,
    allow_eddsa: bool = False,
) -> str:
    """Compact VC-JWT of ``credential`` signed by ``signer`` (RS256 or ES256; EdDSA with ``allow_eddsa``).

    ``kid`` should be a URI that dereferences to the public key (a DID URL or the issuer's JWK URL).
    The public JWK is put in the header when ``include_jwk`` is True, or by default when there is no
    ``kid`` (it needs the signer to be a :class:`~openbadges_core.PrivateKey`).

    Raises:
        UnsupportedAlgorithmError: EdDSA without ``allow_eddsa``, or an unknown algorithm.
        SigningError: no issuer id, or a failing signer.
    """
    body = credential.to_dict() if isinstance(credential, OpenBadgeCredential) else dict(credential)
    alg = getattr(signer, "alg", None)
    if alg == "EdDSA" and not allow_eddsa:
        raise UnsupportedAlgorithmError("EdDSA VC-JWTs are opt-in (allow_eddsa=True): many verifiers reject them")
    if alg not in ("RS256", "ES256", "EdDSA"):
        raise UnsupportedAlgorithmError(f"VC-JWT algorithm {alg!r} is not supported")
    issuer_id = _issuer_id(body)
    if not isinstance(issuer_id, str) or not issuer_id:
        raise SigningError("the credential has no issuer id (needed for the iss claim)")
    claims: dict[str, Any] = {"iss": issuer_id}
    if isinstance(body.get("id"), str):
        claims["jti"] = body["id"]
    if isinstance(_subject_id(body), str):
        claims["sub"] = _subject_id(body)
    for claim, field in (("nbf", "validFrom"), ("exp", "validUntil")):
        if field in body:
            value = _epoch(body[field])
            if value is None:
                raise SigningError(f"{field} is not an ISO 8601 date-time")
            claims[claim] = value
    headers: dict[str, Any] = {"typ": "JWT", "kid": kid}
    if include_jwk or (include_jwk is None and kid is None):
        public = getattr(signer, "public_key", None)
        if not isinstance(public, PublicKey):
            raise SigningError("include_jwk needs a PrivateKey signer (or pass kid)")
        jwk = public.to_jwk()
        jwk.pop("kid", None)
        headers["jwk"] = jwk
    return sign_jws({**body, **claims}, signer, headers=headers)


def _b64json(segment: str) -> Any:
    try:
        return json_loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise SignatureError("did:jwk identifier is not base64url JSON") from None


def _key_from_did_key(did: str) -> PublicKey:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw = multibase_decode(did.split("#", 1)[0][len("did:key:"):])
    if raw[:2] == b"\xed\x01" and len(raw) == 34:
        return PublicKey.from_cryptography(Ed25519PublicKey.from_public_bytes(raw[2:]))
    if raw[:2] == b"\x80\x24" and len(raw) == 35:  # p256-pub, compressed point
        return PublicKey.from_cryptography(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:]))
    raise SignatureError("did:key is not an Ed25519 or P-256 key")


_JSON = msgspec.json.Decoder()
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})
_JWK_KEY = msgspec.json.Encoder(order="sorted")  # a JWK's cache key: its members in sorted order
_JWK_CACHE = BoundedCache(maxsize=256)  # parsed public JWKs: parsing EC/RSA keys dominates verification


def _load_jwk(jwk: Any) -> PublicKey:
    if not (type(jwk) is dict or isinstance(jwk, Mapping)):  # a dict first: the ABC check is slow
        raise SignatureError("a JWK must be a JSON object")
    if not _PRIVATE_JWK_MEMBERS.isdisjoint(jwk):
        raise SignatureError("a JWK in a JWT header or key document must not carry private key material")
    try:
        cache_key = _JWK_KEY.encode(jwk).decode("utf-8")
    except (TypeError, msgspec.EncodeError):
        raise SignatureError("a JWK must be plain JSON") from None
    cached = _JWK_CACHE.get(cache_key)
    if isinstance(cached, PublicKey):
        return cached
    try:
        key = load_public_key(jwk)
    except KeyMaterialError as exc:
        raise SignatureError(f"unusable JWK: {exc.message}") from None
    _JWK_CACHE[cache_key] = key
    return key


def _pick_from_jwks(doc: Mapping[str, Any], kid: str, thumbprint: str | None) -> PublicKey:
    found = doc.get("keys") if "keys" in doc else [doc]
    keys: list[Any] = found if isinstance(found, list) else []
    fragment = kid.partition("#")[2]
    for jwk in keys:
        if isinstance(jwk, Mapping) and (jwk.get("kid") in (kid, fragment) or len(keys) == 1):
            return _load_jwk(jwk)
    for jwk in keys:  # fall back to the header jwk's thumbprint
        if isinstance(jwk, Mapping) and thumbprint is not None and _load_jwk(jwk).kid == thumbprint:
            return _load_jwk(jwk)
    raise SignatureError(f"no key {kid!r} in the published key set")


def _resolve_kid(kid: str, fetcher: Fetcher | None, thumbprint: str | None) -> PublicKey:
    if kid.startswith("did:key:"):
        return _key_from_did_key(kid)
    if kid.startswith("did:jwk:"):
        return _load_jwk(_b64json(kid.split("#", 1)[0][len("did:jwk:"):]))
    if kid.startswith("did:web:"):
        doc = fetch_did_web_document(fetcher, kid)
        methods = doc.get("verificationMethod", [])
        for method in methods if isinstance(methods, list) else []:
            if isinstance(method, Mapping) and method.get("id") in (kid, "#" + kid.partition("#")[2]):
                return _load_jwk(method.get("publicKeyJwk"))
        raise SignatureError(f"{kid} is not in its DID document")
    if kid.startswith("https://"):
        return _pick_from_jwks(_fetch_json(fetcher, kid.split("#", 1)[0]), kid, thumbprint)
    raise SignatureError(f"kid {kid!r} cannot be resolved (use a DID URL or an https URL)")


def _issuer_lists_key(issuer_id: Any, key: PublicKey, fetcher: Fetcher) -> bool:
    """Whether the issuer's own document (an https Profile/JWKS, or a did:web document) publishes
    ``key``, matched by JWK thumbprint. Fetch failures simply mean "not shown to be the issuer's"."""
    if not isinstance(issuer_id, str):
        return False
    try:
        if issuer_id.startswith("did:web:"):
            doc = fetch_did_web_document(fetcher, issuer_id)
        elif issuer_id.startswith("https://"):
            doc = _fetch_json(fetcher, issuer_id.split("#", 1)[0])
        else:
            return False
    except SignatureError:
        return False
    candidates: list[Any] = []
    for name in ("keys", "verificationMethod", "assertionMethod", "publicKey"):
        value = doc.get(name)
        candidates.extend(value if isinstance(value, list) else [value] if value is not None else [])
    for item in candidates:
        jwk = item.get("publicKeyJwk", item) if isinstance(item, Mapping) else None
        try:
            if isinstance(jwk, Mapping) and _load_jwk(jwk).kid == key.kid:
                return True
        except SignatureError:
            continue
    return False


def _issuer_publishes(kid: str, issuer_id: Any) -> bool:
    if not isinstance(issuer_id, str) or not issuer_id:
        return False
    base = kid.split("#", 1)[0]
    if base == issuer_id:
        return True
    return issuer_id.startswith("https://") and is_under(base, issuer_id)


def _self_certifying_key(issuer_id: Any) -> PublicKey | None:
    """The key a ``did:key`` / ``did:jwk`` issuer *is* (the identifier encodes it); None for other issuers."""
    if not isinstance(issuer_id, str):
        return None
    try:
        if issuer_id.startswith("did:key:"):
            return _key_from_did_key(issuer_id)
        if issuer_id.startswith("did:jwk:"):
            return _load_jwk(_b64json(issuer_id.split("#", 1)[0][len("did:jwk:"):]))
    except OpenBadgesError:
        return None
    return None


def _verifies(token: str, key: PublicKey) -> bool:
    try:
        verify_jws(token, key)
    except OpenBadgesError:
        return False
    return True


def _choose_key(token: str, header: Mapping[str, Any], issuer_id: Any, trusted_keys: Sequence[PublicKey],
                fetcher: Fetcher | None) -> tuple[PublicKey, bool, bool]:
    """(key, trusted, kid_resolved): the key the signature is checked with, whether it is the issuer's
    for sure (pinned, or the issuer's own did:key/did:jwk), and whether it came from resolving ``kid``."""
    kid = header.get("kid")
    if not isinstance(kid, str):
        kid = None
    header_key = _load_jwk(header["jwk"]) if "jwk" in header else None
    header_kid = header_key.kid if header_key is not None else None
    fragment = kid.partition("#")[2] if kid else None
    for pinned in trusted_keys:  # a pinned key named by the kid (or its fragment) or the header jwk's thumbprint
        if pinned.kid and pinned.kid in (kid, header_kid, fragment):
            return pinned, True, False
    own = _self_certifying_key(issuer_id)
    if own is not None and (header_key is None or header_key.kid == own.kid) and (
            kid is None or kid.split("#", 1)[0] == issuer_id):
        return own, True, False  # the issuer's did:key/did:jwk is the key; the header names it or nothing
    if kid is not None and kid.startswith(("did:", "https://")):
        try:
            key = _resolve_kid(kid, fetcher, header_key.kid if header_key else None)
        except SignatureError:
            # the kid cannot be resolved (an example host that does not exist ...): a pinned key that
            # verifies the signature is the caller's word that it is the issuer's
            for candidate in trusted_keys:
                if (header_key is None or header_key.kid == candidate.kid) and _verifies(token, candidate):
                    return candidate, True, False
            raise
        if header_key is not None and header_key.kid != key.kid:
            raise SignatureError("header jwk is not the key its kid names")
        return key, False, True
    if header_key is not None:
        return header_key, False, False
    for candidate in trusted_keys:
        if _verifies(token, candidate):
            return candidate, True, False
    if trusted_keys:
        raise SignatureError("VC-JWT names no key (no kid, no jwk) and no pinned key verifies it")
    raise SignatureError("VC-JWT names no key (no kid, no jwk), its issuer is not a did:key or did:jwk, "
                         "and no key was pinned")


def verify_vc_jwt(
    token: str,
    *,
    trusted_keys: Sequence[PublicKey] = (),
    fetcher: Fetcher | None = None,
    now: datetime | None = None,
    leeway_seconds: int = 60,
) -> VcJwtResult:
    """Verify a VC-JWT (VC 2.0 or VC 1.1 form) and return the credential with trust information.

    Key choice: a caller-pinned key (``trusted_keys``) matching the header ``kid``/``jwk`` thumbprint;
    else, for a ``did:key``/``did:jwk`` issuer, the issuer's own key (when the header names no key, or
    a ``jwk`` with the same thumbprint); else the key ``kid`` resolves to (a pinned key that verifies
    the signature when ``kid`` cannot be resolved); else the header ``jwk`` — trusted only when the
    issuer's own document (https Profile/JWKS or did:web) lists it by thumbprint.

    Raises:
        SignatureError: malformed token, wrong ``typ``, no usable key, bad signature, or claims that
            contradict the credential.
    """
    try:
        header, unverified = decode_jws_unverified(token)
    except OpenBadgesError as exc:
        raise SignatureError(f"a VC-JWT is a compact JWS: {exc.message}") from None
    typ = header.get("typ")
    if typ is not None and typ not in _TYPS:
        raise SignatureError(f"JWT typ {typ!r} is not a VC-JWT type ({', '.join(_TYPS)})")
    payload = _payload_object(unverified)
    credential, version = _credential_of(payload)
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    issuer_id = _issuer_id(credential) or payload.get("iss")
    key, trusted, kid_resolved = _choose_key(token, header, issuer_id, trusted_keys, fetcher)
    try:
        verify_jws_payload(token, key)
    except OpenBadgesError as exc:
        raise SignatureError(exc.message) from None
    if kid_resolved and kid is not None:
        trusted = _issuer_publishes(kid, issuer_id)
    elif not trusted and "jwk" in header and fetcher is not None:
        trusted = _issuer_lists_key(issuer_id, key, fetcher)

    _check_claims(payload, credential, version)
    moment = int((now or datetime.now(UTC)).timestamp())
    nbf = payload["nbf"] if "nbf" in payload else _epoch(credential.get("validFrom", credential.get("issuanceDate")))
    exp = payload["exp"] if "exp" in payload else _epoch(credential.get("validUntil", credential.get("expirationDate")))
    return VcJwtResult(
        credential=credential, header=header, key=key, issuer_trusted=trusted, vc_version=version,
        expired=isinstance(exp, int) and moment > exp + leeway_seconds,
        not_yet_valid=isinstance(nbf, int) and moment < nbf - leeway_seconds,
    )


def _payload_object(raw: bytes) -> dict[str, Any]:
    try:
        payload = json_loads(raw)  # depth-limited (untrusted input)
    except ValueError as exc:
        raise SignatureError(f"JWT payload is not usable JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise SignatureError("JWT payload is not a JSON object")
    return payload


def _credential_of(payload: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """(credential, VC version): the ``vc`` claim (VC 1.1) or the payload minus the JWT claims (VC 2.0)."""
    if "vc" in payload:
        credential = payload["vc"]
        if not isinstance(credential, dict):
            raise SignatureError("the vc claim is not a JSON object")
        return credential, "1.1"
    return {k: v for k, v in payload.items() if k not in _JWT_CLAIMS}, "2.0"


def _check_claims(payload: Mapping[str, Any], credential: Mapping[str, Any], version: str) -> None:
    start, end = ("issuanceDate", "expirationDate") if version == "1.1" else ("validFrom", "validUntil")
    checks = (("iss", _issuer_id(credential)), ("jti", credential.get("id")), ("sub", _subject_id(credential)),
              ("nbf", _epoch(credential.get(start))), ("exp", _epoch(credential.get(end))))
    for claim, expected in checks:
        if claim in payload and expected is not None and payload[claim] != expected:
            raise SignatureError(f"JWT claim {claim}={payload[claim]!r} contradicts the credential ({expected!r})")
    for claim in ("nbf", "exp"):
        if claim in payload and (not isinstance(payload[claim], int) or isinstance(payload[claim], bool)):
            raise SignatureError(f"JWT claim {claim} must be a NumericDate")
