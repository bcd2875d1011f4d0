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
import ipaddress
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from openbadges_core._errors import FetchError, SignatureError, UnsupportedAlgorithmError
from openbadges_core._json import loads as json_loads
from openbadges_core._keys import PrivateKey, PublicKey
from openbadges_core._net import DEFAULT_TIMEOUT, Fetcher
from openbadges_core._ob3._multibase import ed25519_from_multikey, ed25519_multikey

__all__ = ["did_key", "did_web_url", "fetch_did_web_document", "resolve_ed25519_key"]

_ACCEPT = "application/did+json, application/did+ld+json, application/ld+json, application/json"
_MAX_DOC_BYTES = 256 * 1024


def did_key(key: PublicKey | PrivateKey | Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The ``did:key`` of an Ed25519 key: ``did:key:z6Mk…`` (a private key gives its public half's).

    Its verification method is ``f"{did}#{did.removeprefix('did:key:')}"``; :func:`resolve_ed25519_key`
    resolves either back to the key. Raises :class:`UnsupportedAlgorithmError` for RSA and P-256 keys.
    """
    if isinstance(key, (PublicKey, PrivateKey)):
        crypto = key.cryptography_key
        key = crypto if isinstance(crypto, (Ed25519PublicKey, Ed25519PrivateKey)) else key
    if isinstance(key, Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise UnsupportedAlgorithmError("did:key is made from Ed25519 keys only (alg EdDSA)")
    return "did:key:" + ed25519_multikey(key.public_bytes(Encoding.Raw, PublicFormat.Raw))


HTTP_DID_WEB_HINT = ("did:web always means https; for a development server over http on loopback, "
                     "set VerifyOptions.allow_http_did_web")


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP literal, with or without a port (``127.0.0.1:8000``, ``[::1]:8000``)."""
    name = host.lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def did_web_url(did: str, *, allow_http_loopback: bool = False) -> str:
    """HTTPS URL of the DID document of a ``did:web`` identifier (without fragment).

    ``allow_http_loopback`` (a development switch) makes it ``http`` when the host is on loopback
    (``localhost``, ``127.*``, ``[::1]``); any other host stays https."""
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
    scheme = "http" if allow_http_loopback and _is_loopback(host) else "https"
    return f"{scheme}://{host}/{path}/did.json" if path else f"{scheme}://{host}/.well-known/did.json"


def fetch_did_web_document(fetcher: Fetcher | None, did: str) -> Mapping[str, Any]:
    """The DID document of a ``did:web`` (fragment ignored), fetched through ``fetcher``; its ``id`` must be
    the DID. A fetcher with a true ``allow_http_did_web`` attribute gets http URLs for loopback hosts.

    Raises:
        SignatureError: the document cannot be fetched, is not JSON, or is another DID's.
    """
    base = did.split("#", 1)[0]
    allow_http = getattr(fetcher, "allow_http_did_web", False) is True
    url = did_web_url(base, allow_http_loopback=allow_http)
    try:
        doc = _fetch_json(fetcher, url)
    except SignatureError as exc:
        host = unquote(base.split(":")[2])
        if not allow_http and _is_loopback(host):
            raise SignatureError(f"{exc.message} ({HTTP_DID_WEB_HINT})") from None
        raise
    if doc.get("id") != base:
        raise SignatureError(f"DID document at {url} is for {doc.get('id')!r}, not {base!r}")
    return doc


def _fetch_json(fetcher: Fetcher | None, url: str) -> Mapping[str, Any]:
    if fetcher is None:
        raise SignatureError(f"resolving {url} needs a fetcher, and none was given")
    try:
        response = fetcher.fetch(url, accept=_ACCEPT, timeout=DEFAULT_TIMEOUT)
    except FetchError as exc:
        raise SignatureError(f"could not fetch {url}: {exc.message}") from exc
    status, body = response.status_code, response.body
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


def resolve_ed25519_key(verification_method: str, *, fetcher: Fetcher | None = None) -> bytes:
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
            return _key_from_method(_find_method(fetch_did_web_document(fetcher, base), vm, base))
        raise SignatureError(f"DID method {method!r} of {vm!r} is not supported")
    if scheme in ("https", "http"):
        if fragment.startswith("z6Mk"):
            return ed25519_from_multikey(fragment)
        if scheme != "https":
            raise SignatureError(f"verificationMethod {vm!r} must use https to be fetched")
        return _key_from_method(_find_method(_fetch_json(fetcher, base), vm, base))
    raise SignatureError(f"verificationMethod scheme {scheme!r} of {vm!r} is not supported")
