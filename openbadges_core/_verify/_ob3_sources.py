"""OB 3.0 verification's sources of trust: recognising a credential, fetching its linked documents
(preloaded, cached or through the session's fetcher), and the ``proof`` and ``issuer_key`` checks."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openbadges_core._errors import FetchError, OpenBadgesError
from openbadges_core._jws import decode_jws_unverified
from openbadges_core._keyio import load_public_key
from openbadges_core._keys import PublicKey
from openbadges_core._net import DEFAULT_TIMEOUT, FetchResponse
from openbadges_core._ob3._canon import CanonicalizationLimits
from openbadges_core._ob3._dataintegrity import verify_data_integrity
from openbadges_core._ob3._didkeys import _ACCEPT, _find_method, fetch_did_web_document
from openbadges_core._ob3._multibase import ed25519_from_multikey
from openbadges_core._ob3._vcjwt import verify_vc_jwt
from openbadges_core._verify._checks import as_list
from openbadges_core._verify._session import Session, parse_json_object

_NOT_CONFIRMED_HINT = ("the issuer's documents do not list it. If you trust this key, pin it "
                       "(VerifyOptions.trusted_keys); if the issuer's documents cannot be fetched, provide them "
                       "(VerifyOptions.documents)")

__all__ = [
    "VC_CONTEXTS",
    "check_data_integrity",
    "check_jwt_proof",
    "context_urls",
    "decode_token",
    "fetch_document",
    "is_ob3",
    "is_ob3_payload",
    "is_ob3_token",
    "issuer_id",
    "looks_like_jwt",
]

VC_CONTEXTS = frozenset({"https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1"})


# --- detection ------------------------------------------------------------------------------------
def context_urls(data: Mapping[str, Any]) -> list[str]:
    return [c for c in as_list(data.get("@context")) if isinstance(c, str)]


def is_ob3(data: Mapping[str, Any]) -> bool:
    """A W3C Verifiable Credential (VC 2.0 or 1.1 context, or ``VerifiableCredential`` in ``type``)."""
    context = data.get("@context")
    if type(context) is str:  # the common case, without building lists
        if context in VC_CONTEXTS:
            return True
    elif any(c in VC_CONTEXTS for c in context_urls(data)):
        return True
    kind = data.get("type")
    return "VerifiableCredential" in kind if type(kind) is list else kind == "VerifiableCredential"


def decode_token(token: str) -> tuple[dict[str, Any], bytes, dict[str, Any] | None] | None:
    """(header, payload bytes, payload as a fresh JSON object or ``None``) of a compact JWS, unverified;
    ``None`` when it is malformed. Decoded once per verification, then handed on to the flow."""
    try:
        header, payload = decode_jws_unverified(token)
    except OpenBadgesError:
        return None
    return header, payload, parse_json_object(payload)


def is_ob3_payload(data: Mapping[str, Any] | None) -> bool:
    """A decoded JWS payload that is a VC (VC 2.0 form) or carries one in ``vc`` (VC 1.1 form)."""
    if data is None:
        return False
    vc = data.get("vc")
    return (vc is not None and (type(vc) is dict or isinstance(vc, Mapping))) or is_ob3(data)


def is_ob3_token(token: str) -> bool:
    """A compact JWS whose payload is a VC (VC 2.0 form) or carries one in ``vc`` (VC 1.1 form)."""
    decoded = decode_token(token)
    return decoded is not None and is_ob3_payload(decoded[2])


def looks_like_jwt(body: bytes) -> bool:
    """A response body that is a compact VC-JWT."""
    text = body.strip()
    return len(text) < 1_000_000 and text.count(b".") == 2 and is_ob3_token(text.decode("ascii", "replace"))


# --- fetching -------------------------------------------------------------------------------------
class _Fetched:
    """A JSON document or a compact JWT fetched for OB 3.0 verification (kept in the cache)."""

    __slots__ = ("at", "cached", "data", "text")

    def __init__(self, data: dict[str, Any] | None, text: str | None) -> None:
        self.data, self.text, self.at, self.cached = data, text, time.monotonic(), False


class _SessionFetcher:
    """The :class:`~openbadges_core.Fetcher` the OB 3.0 key resolvers get: preloaded documents, then the
    cache, then the session's fetcher (its budget and limits apply). Failures raise :class:`FetchError`; the resolver
    turns them into a failed ``proof``/``issuer_key`` check, so nothing is recorded here."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.allow_http_did_web = session.options.allow_http_did_web

    def fetch(self, url: str, *, accept: str = _ACCEPT, timeout: float = DEFAULT_TIMEOUT) -> FetchResponse:
        """``accept`` and ``timeout`` are ignored: the session's Accept header and remaining budget apply."""
        got = fetch_document(self.session, url, "fetch_key", record=False)
        if got is None or got.data is None:
            raise FetchError(f"cannot fetch a JSON document from {url}")
        return FetchResponse(url, 200, "application/json", json.dumps(got.data).encode("utf-8"))


def fetch_document(session: Session, url: str, check: str, *, record: bool = True,
                   max_age: float | None = None) -> _Fetched | None:
    """A JSON document (or compact JWT) at ``url``: preloaded, cached (no older than ``max_age`` s) or
    fetched. With ``record`` a failure is a failed ``check``; a success is recorded by the caller."""
    preloaded = session.options.documents.get(url)
    if preloaded is not None:
        return _Fetched(dict(preloaded), None)
    cache_key = "ob3:" + url
    seen = session.seen.get(cache_key)
    if isinstance(seen, _Fetched) and max_age is None:
        return seen
    if session.cache is not None:
        hit = session.cache.get(session.policy, cache_key)
        if isinstance(hit, _Fetched) and (max_age is None or time.monotonic() - hit.at < max_age):
            hit.cached = True
            return hit
    res = session.fetch(url, check, record=record)
    if res is None:
        return None
    if res.status_code != 200:
        if record:
            session.report.fail(check, f"{url} answered HTTP {res.status_code}, not 200", code="http_status",
                                url=url, status=res.status_code)
        return None
    data = parse_json_object(res.body)
    text = None
    if data is None:
        if looks_like_jwt(res.body):
            text = res.body.decode("ascii").strip()
        else:
            if record:
                session.report.fail(check, f"{url} returned neither a JSON object nor a JWT", code="not_json",
                                    url=url)
            return None
    fetched = _Fetched(data, text)
    session.seen[cache_key] = fetched
    if session.cache is not None:
        session.cache.put(session.policy, cache_key, fetched)
    return fetched


# --- proofs and keys ------------------------------------------------------------------------------
def issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    return issuer if isinstance(issuer, str) else None


def _ed25519_kid(multikey: str) -> str | None:
    try:
        raw = ed25519_from_multikey(multikey)
    except OpenBadgesError:
        return None
    return PublicKey.from_cryptography(Ed25519PublicKey.from_public_bytes(raw)).kid


def _controller_lists(session: Session, method: str, multikey: str) -> str | None:
    """Whether the issuer's controller document lists ``method`` with key ``multikey``; None when it
    does, else why not."""
    base = method.split("#", 1)[0]
    try:
        if base.startswith("did:web:"):
            doc: Mapping[str, Any] = fetch_did_web_document(_SessionFetcher(session), base)
        elif base.startswith("https://"):
            doc = _SessionFetcher(session).fetch(base).json()
        else:
            return f"the controller document of {method} is not an https URL"
        found = _find_method(doc, method, base)
    except OpenBadgesError as exc:
        return exc.message
    if found.get("publicKeyMultibase") not in (None, multikey):
        return f"{method} is published with a different key"
    if found.get("publicKeyMultibase") is None:
        jwk = found.get("publicKeyJwk")
        if not isinstance(jwk, Mapping) or jwk.get("kty") != "OKP":
            return f"{method} is published without an Ed25519 key"
        try:
            if load_public_key(dict(jwk)).kid != _ed25519_kid(multikey):
                return f"{method} is published with a different key"
        except OpenBadgesError as exc:
            return exc.message
    return None


def _di_issuer_key(session: Session, credential: Mapping[str, Any], method: str, multikey: str) -> None:
    """``issuer_key`` for a Data Integrity proof: the signing key belongs to the issuer."""
    report = session.report
    issuer = issuer_id(credential)
    kid = _ed25519_kid(multikey)
    if kid is not None and any(k.kid == kid for k in session.options.trusted_keys):
        report.ok("issuer_key", f"the signing key {multikey} is pinned by the caller", method=method)
        return
    base = method.split("#", 1)[0]
    if base.startswith("did:key:") and base == issuer:
        report.ok("issuer_key", f"the issuer is the did:key {base} that signed", method=method)
        return
    if issuer is None or base != issuer:
        report.fail("issuer_key", f"the signature is valid, but its verification method {method} is not under "
                    f"the issuer id {issuer!r}, so nothing shows the key belongs to the issuer. If you trust this "
                    "key, pin it (VerifyOptions.trusted_keys)", method=method, issuer=issuer)
        return
    why = _controller_lists(session, method, multikey)
    if why is None:
        report.ok("issuer_key", f"the issuer's document {base} publishes {method}", method=method)
    else:
        report.fail("issuer_key", f"the signature is valid, but the key of {method} is not shown to be the "
                    f"issuer's ({why}). If you trust this key, pin it (VerifyOptions.trusted_keys); if the "
                    "issuer's documents cannot be fetched, provide them (VerifyOptions.documents)",
                    method=method, issuer=issuer)


def check_data_integrity(session: Session, credential: Mapping[str, Any], what: str = "the credential") -> bool:
    report = session.report
    try:
        proofs = verify_data_integrity(credential, fetcher=_SessionFetcher(session),
                                       limits=CanonicalizationLimits(deadline=session.deadline))
    except OpenBadgesError as exc:
        report.fail("proof", f"the proof of {what} does not verify: {exc.message}", code=exc.code)
        return False
    suites = ", ".join(p.cryptosuite or p.type for p in proofs)
    report.ok("proof", f"{len(proofs)} Data Integrity proof(s) verified ({suites})",
              methods=[p.verification_method for p in proofs])
    _di_issuer_key(session, credential, proofs[0].verification_method, proofs[0].public_key_multibase)
    return True


def check_jwt_proof(session: Session, token: str, what: str = "the credential") -> dict[str, Any] | None:
    """Verify a VC-JWT (``proof`` and ``issuer_key``); the verified credential or ``None``."""
    report = session.report
    try:
        result = verify_vc_jwt(token, trusted_keys=tuple(session.options.trusted_keys),
                               fetcher=_SessionFetcher(session), now=session.options.now,
                               leeway_seconds=int(session.options.clock_skew))
    except OpenBadgesError as exc:
        report.fail("proof", f"the VC-JWT signature of {what} does not verify: {exc.message}", code=exc.code)
        return None
    report.ok("proof", f"VC-JWT ({result.vc_version} form) signature verified with {result.key.alg} key "
              f"{result.key.kid}", alg=result.key.alg, kid=result.header.get("kid"), vc_version=result.vc_version)
    issuer = issuer_id(result.credential)
    if result.issuer_trusted:
        report.ok("issuer_key", f"the signing key is the issuer {issuer}'s (published by it, its did:key, "
                  "or pinned by the caller)")
    else:
        kid = result.header.get("kid")
        named = f"the key {kid}" if isinstance(kid, str) else f"the key in the token's header (thumbprint {result.key.kid})"
        report.fail("issuer_key", f"the signature is valid, but nothing shows that {named} belongs to the issuer "
                    f"{issuer!r}: {_NOT_CONFIRMED_HINT}", kid=result.key.kid, issuer=issuer)
    return result.credential
