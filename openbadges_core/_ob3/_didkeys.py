"""Resolve a Data Integrity ``verificationMethod`` to an Ed25519 public key.

Supported forms:

* ``did:key:z6Mk…[#z6Mk…]`` — the key is in the identifier itself;
* ``did:web:host[:path…]#frag`` — the DID document is fetched (``https://host/.well-known/did.json``
  or ``https://host/path/did.json``) through the caller's fetcher, never directly;
* ``https://issuer.example/…#z6Mk…`` — the fragment is the multikey (the 1EdTech examples' form);
  any other ``https`` URL is fetched and searched for a matching verification method.

Anything else (no scheme, an unknown scheme or DID method) raises :class:`SignatureError`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import unquote

from openbadges_core._errors import FetchError, SignatureError
from openbadges_core._json import loads as json_loads
from openbadges_core._ob3._multibase import ed25519_from_multikey

__all__ = ["KeyFetcher", "did_web_url", "resolve_ed25519_key"]

_ACCEPT = "application/did+json, application/did+ld+json, application/ld+json, application/json"
_MAX_DOC_BYTES = 256 * 1024


class KeyFetcher(Protocol):
    """The one method we need of the verifier's :class:`~openbadges_core.Fetcher`."""

    def fetch(self, url: str, *, accept: str = ...) -> Any: ...


def did_web_url(did: str) -> str:
    """HTTPS URL of the DID document of a ``did:web`` identifier (without fragment)."""
    parts = did.split("#", 1)[0].split(":")
    if len(parts) < 3 or parts[0] != "did" or parts[1] != "web" or not parts[2]:
        raise SignatureError(f"{did!r} is not a did:web identifier")
    host = unquote(parts[2])
    if "/" in host or "@" in host or "?" in host:
        raise SignatureError(f"{did!r} has an invalid did:web host")
    segments = [unquote(p) for p in parts[3:]]
    path = "/".join(segments)
    if any(seg in ("", ".", "..") or "/" in seg or "\\" in seg for seg in segments):
        raise SignatureError(f"{did!r} has an invalid did:web path")
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def _fetch_json(fetcher: KeyFetcher | None, url: str) -> Mapping[str, Any]:
    if fetcher is None:
        raise SignatureError(f"resolving {url} needs a fetcher, and none was given")
    try:
        response = fetcher.fetch(url, accept=_ACCEPT)
    except FetchError as exc:
        raise SignatureError(f"could not fetch {url}: {exc.message}") from exc
    status = getattr(response, "status_code", 200)
    body = getattr(response, "body", b"")
    if status != 200:
        raise SignatureError(f"fetching {url} returned HTTP {status}")
    if len(body) > _MAX_DOC_BYTES:
        raise SignatureError(f"document at {url} is too large")
    try:
        doc = json_loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SignatureError(f"document at {url} is not JSON") from None
    if not isinstance(doc, Mapping):
        raise SignatureError(f"document at {url} is not a JSON object")
    return doc


def _key_from_method(method: Mapping[str, Any]) -> bytes:
    multikey = method.get("publicKeyMultibase")
    if isinstance(multikey, str):
        return ed25519_from_multikey(multikey)
    jwk = method.get("publicKeyJwk")
    if isinstance(jwk, Mapping) and jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
        x = str(jwk.get("x", ""))
        raw = base64.urlsafe_b64decode(x + "=" * (-len(x) % 4))
        if len(raw) == 32:
            return raw
    raise SignatureError("verification method has no Ed25519 publicKeyMultibase or publicKeyJwk")


def _find_method(doc: Mapping[str, Any], vm: str, base: str) -> Mapping[str, Any]:
    """The verification method ``vm`` in a DID/controller document (also accepts ``#frag`` ids)."""
    candidates: list[Any] = []
    for field in ("verificationMethod", "assertionMethod", "publicKey"):
        value = doc.get(field, [])
        candidates.extend(value if isinstance(value, list) else [value])
    for method in candidates:
        if not isinstance(method, Mapping):
            continue
        mid = str(method.get("id", ""))
        if mid == vm or (mid.startswith("#") and base + mid == vm):
            controller = method.get("controller")
            if controller is not None and controller not in (doc.get("id"), base):
                raise SignatureError(f"verification method {vm} is controlled by {controller}, "
                                     f"not by the document {doc.get('id')}")
            return method
    raise SignatureError(f"verification method {vm} is not published in {base}")


def resolve_ed25519_key(verification_method: str, *, fetcher: KeyFetcher | None = None) -> bytes:
    """Raw 32-byte Ed25519 public key named by ``verification_method``.

    Raises:
        SignatureError: unsupported or malformed method, or the key cannot be found.
    """
    if not isinstance(verification_method, str) or not verification_method:
        raise SignatureError("proof has no verificationMethod")
    vm = verification_method
    base, _, fragment = vm.partition("#")
    scheme, colon, rest = base.partition(":")
    if not colon or not scheme.isascii() or not scheme[:1].isalpha():
        raise SignatureError(f"verificationMethod {vm!r} is not a URL or DID")
    if scheme == "did":
        method = rest.partition(":")[0]
        if method == "key":
            key = ed25519_from_multikey(rest.partition(":")[2])
            if fragment and ed25519_from_multikey(fragment) != key:
                raise SignatureError(f"did:key fragment of {vm!r} names a different key")
            return key
        if method == "web":
            doc = _fetch_json(fetcher, did_web_url(base))
            if doc.get("id") != base:
                raise SignatureError(f"DID document at {did_web_url(base)} is for {doc.get('id')!r}, not {base!r}")
            return _key_from_method(_find_method(doc, vm, base))
        raise SignatureError(f"DID method {method!r} of {vm!r} is not supported")
    if scheme in ("https", "http"):
        if fragment.startswith("z6Mk"):
            return ed25519_from_multikey(fragment)
        if scheme != "https":
            raise SignatureError(f"verificationMethod {vm!r} must use https to be fetched")
        return _key_from_method(_find_method(_fetch_json(fetcher, base), vm, base))
    raise SignatureError(f"verificationMethod scheme {scheme!r} of {vm!r} is not supported")
