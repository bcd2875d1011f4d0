"""Helpers for the OB 3.0 verify() tests: key documents for the official fixtures, a local "https" world."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from openbadges_core import FetchResponse, SafeFetcher, unbake
from openbadges_core._ob3._didkeys import did_web_url

OB30 = Path("examples") / "validator-ob30"
#: the fixtures' Ed25519 keys (the multibase key is in each verificationMethod fragment)
KEY_A = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
KEY_B = "z6MkrvfzkMnvCroEUP2DVc9SHPE48CRsvHiVSusHioxTYu1x"


def controller_document(controller: str, multikeys: Iterable[str]) -> dict[str, Any]:
    """A controller (or DID) document publishing each ``multikeys`` as ``<controller>#<key>``."""
    methods = [{"id": f"{controller}#{k}", "type": "Multikey", "controller": controller, "publicKeyMultibase": k}
               for k in multikeys]
    return {"id": controller, "verificationMethod": methods, "assertionMethod": [m["id"] for m in methods]}


def jwk_document(issuer: str, jwks: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """An issuer profile publishing public JWKs (how an issuer lists its VC-JWT keys)."""
    methods = [{"id": f"{issuer}#key-{i}", "type": "JsonWebKey", "controller": issuer, "publicKeyJwk": dict(j)}
               for i, j in enumerate(jwks)]
    return {"id": issuer, "type": "Profile", "verificationMethod": methods}


def header_jwk(token: str) -> dict[str, Any]:
    segment = token.split(".", 1)[0]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))["jwk"]


def fixture_documents(conformance: Path) -> dict[str, dict[str, Any]]:
    """Every document the official validator-ob30 fixtures need, as VerifyOptions.documents."""
    root = conformance / OB30
    did = "did:web:dc.1edtech.org:wellspring2022:wellspring-portal:org:da1e96e9-afcc-4eed-b9a2-2ddf7353214c"
    testlist = json.loads((root / "bit-string-list" / "testlist").read_text())
    jwt_keys: dict[str, list[dict[str, Any]]] = {}
    for name in ("simple-jwt.png", "simple-jwt.svg", "simple-jwt_v1.png", "simple-jwt_v1.svg"):
        token = unbake(root / name).payload.strip()
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        jwt_keys.setdefault(claims["iss"], []).append(header_jwk(token))
    docs: dict[str, dict[str, Any]] = {
        "https://example.com/issuers/876543": controller_document(
            "https://example.com/issuers/876543", [KEY_A, KEY_B, "z6MknNHHrBzPytzu6CUBP9Lg7fg4KSBjzimc2Frh693YbMiv"]),
        "https://1edtech.edu/issuers/565049": controller_document(
            "https://1edtech.edu/issuers/565049", [KEY_A, "z6Mknyb2Gb4NxzW3xSr9ChTtdQZ1zs77piQ3r9SaJ9vMzmrs"]),
        "https://state.gov/issuers/565049": controller_document(
            "https://state.gov/issuers/565049", ["z6MkoMGF38Ck9xkdqrbZt4h9eHb1qc3GhAAkoSWa4Vy3SHRN"]),
        "https://example.edu/issuers/565049": controller_document("https://example.edu/issuers/565049", [KEY_A]),
        did_web_url(did): controller_document(did, [KEY_A]),
        "https://1edtech.edu/credentials/3732/revocations": {"revokedCredentials": []},
        "https://dc.1edtech.org/wellspring2022/wellspring-portal/api/revocations/da1e96e9-afcc-4eed-b9a2-2ddf7353214c":
            {"id": "https://dc.1edtech.org/wellspring2022/wellspring-portal/api/revocations/"
                   "da1e96e9-afcc-4eed-b9a2-2ddf7353214c",
             "revokedCredentials": [{"id": "https://dc.1edtech.org/wellspring2022/wellspring-portal/credential/"
                                           "54418d3f-ec01-4652-800a-861c890a51a1", "revocationReason": "test"}]},
        "https://raw.githubusercontent.com/1EdTech/digital-credentials-public-validator/refs/heads/main/"
        "inspector-vc/src/test/resources/ob30/bit-string-list/testlist": testlist,
    }
    for issuer, jwks in jwt_keys.items():
        existing = docs.get(issuer, {"id": issuer, "verificationMethod": []})
        existing = {**existing, "verificationMethod": [*existing["verificationMethod"],
                                                       *jwk_document(issuer, jwks)["verificationMethod"]]}
        docs[issuer] = existing
    return docs


class LoopbackFetcher:
    """A SafeFetcher (loopback allowed) that serves ``https://<host>/…`` from a local http server:
    did:web and https ``kid`` URLs must be https, the test server is plain http on 127.0.0.1."""

    def __init__(self, base: str, host: str = "issuer.test") -> None:
        self.base, self.host = base, host
        self.inner = SafeFetcher(allow_private_network=True, timeout=5.0)

    def fetch(self, url: str, *, accept: str = "application/json", timeout: float | None = None) -> FetchResponse:
        parts = urlsplit(url)
        if parts.scheme != "https" or parts.hostname != self.host:
            from openbadges_core import FetchError
            raise FetchError(f"offline test: {url} is not on {self.host}")
        url = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        return self.inner.fetch(url, accept=accept)


# --- a test issuer that signs credentials and status lists --------------------------------------------
ISSUER = "https://issuer.test/issuers/1"
LIST_URL = "https://issuer.test/status/1"


def base_credential(conformance: Path, **changes: Any) -> dict[str, Any]:
    """simple.json without its proof, issued by :data:`ISSUER`, with ``changes`` applied."""
    doc = json.loads((conformance / OB30 / "simple.json").read_text())
    doc.pop("proof")
    doc["issuer"] = {**doc["issuer"], "id": ISSUER}
    doc.update(changes)
    return {k: v for k, v in doc.items() if v is not None}


class TestIssuer:
    """An Ed25519 (Data Integrity) key and a signing key for VC-JWTs, with the documents that publish them."""

    __test__ = False

    def __init__(self, jwt_alg: str = "ES256", issuer: str = ISSUER) -> None:
        from openbadges_core import generate_key
        from openbadges_core._ob3._multibase import ed25519_multikey

        self.id = issuer
        self.ed = generate_key("EdDSA")
        raw = base64.urlsafe_b64decode(self.ed.public_key.to_jwk()["x"] + "=")
        self.multikey = ed25519_multikey(raw)
        self.method = f"{issuer}#{self.multikey}"
        self.jwt_key = generate_key(jwt_alg)

    def controller_document(self) -> dict[str, Any]:
        doc = controller_document(self.id, [self.multikey])
        jwk = self.jwt_key.public_key.to_jwk()
        doc["verificationMethod"].append({"id": f"{self.id}#jwt", "type": "JsonWebKey", "controller": self.id,
                                          "publicKeyJwk": jwk})
        return doc

    def sign_di(self, credential: Mapping[str, Any]) -> dict[str, Any]:
        from openbadges_core.ob3 import sign_data_integrity
        return sign_data_integrity(credential, self.ed, verification_method=self.method)

    def status_list(self, *, purpose: str = "revocation", revoked: Iterable[int] = (), list_url: str = LIST_URL,
                    valid_until: str | None = None, ttl_ms: int | None = None, sign: bool = True) -> dict[str, Any]:
        from openbadges_core.ob3 import BitstringStatusList, status_list_credential
        bits = BitstringStatusList()
        bits.set_many(revoked)
        doc = status_list_credential(list_url, self.id, bits, purpose=purpose, valid_from="2020-01-01T00:00:00Z",
                                     valid_until=valid_until, ttl_ms=ttl_ms)
        return self.sign_di(doc) if sign else doc


class OfflineFetcher:
    """A fetcher that fetches nothing: tests that pre-supply every document stay off the network."""

    def fetch(self, url: str, *, accept: str = "", timeout: float = 10.0) -> FetchResponse:
        from openbadges_core import FetchError
        raise FetchError(f"offline test: {url} is not fetched")
