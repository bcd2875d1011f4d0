"""Issue #13: a bounded, derandomized fuzz run of ``verify()`` over hostile JSON-LD and JOSE inputs.

Every input ends in a report (without an "internal" check) or a typed :class:`OpenBadgesError`, within
the verification deadline — never another exception, never a hang.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadges_core import FetchError, FetchResponse, OpenBadgesError, VerifyOptions, verify

TOTAL_TIMEOUT = 3.0
SLACK = 1.5  # work that is not deadline-bound (parsing, schema) on a loaded 2-core machine

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
            "https://w3id.org/security/data-integrity/v1", "https://w3id.org/openbadges/v2",
            "https://evil.example/ctx.json", "", "..", "data:,{}"]
TERMS = ["@id", "@type", "@context", "@graph", "@vocab", "@list", "@reverse", "@included", "@nest", "type", "id",
         "issuer", "credentialSubject", "achievement", "proof", "endorsement", "validFrom", "https://e.org/p"]


class _Offline:
    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> FetchResponse:
        raise FetchError(f"offline fuzz: {url}")


OPTIONS = VerifyOptions(fetcher=_Offline(), use_cache=False, total_timeout=TOTAL_TIMEOUT)

scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | \
    st.sampled_from(CONTEXTS + TERMS + ["_:b0", "_:b1", "did:key:z6Mk", "did:web:a%2e%2e", "z" + "1" * 40]) | \
    st.text(max_size=12)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.sampled_from(TERMS) | st.text(max_size=6), inner, max_size=5),
                           max_leaves=25)
_context_lists = st.lists(st.sampled_from(CONTEXTS) | st.dictionaries(st.sampled_from(TERMS[5:]), scalars,
                                                                     max_size=3), max_size=24)
# mostly a credential's real contexts first, so the fuzz reaches JSON-LD processing and the proof
contexts = _context_lists.map(lambda extra: [CONTEXTS[0], CONTEXTS[2], *extra]) | _context_lists
proofs = st.fixed_dictionaries({
    "type": st.sampled_from(["DataIntegrityProof", "Ed25519Signature2020", "JsonWebSignature2020"]),
    "cryptosuite": st.sampled_from(["eddsa-rdfc-2022", "eddsa-2022", "ecdsa-rdfc-2019"]),
    "proofPurpose": st.sampled_from(["assertionMethod", "authentication"]),
    "verificationMethod": st.sampled_from(["did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
                                           "https://h/users/alice/../mallory#z6Mk", "did:web:h:..:x#k", "x"]),
    "proofValue": st.sampled_from(["z" + "2" * 86, "z", "", "u" + "A" * 86]),
}, optional={"@context": contexts, "created": scalars})
credentials = st.fixed_dictionaries({
    "@context": contexts,
    "type": st.sampled_from([["VerifiableCredential", "OpenBadgeCredential"], "VerifiableCredential",
                             ["VerifiableCredential", "EndorsementCredential"]]),
}, optional={"issuer": json_values, "credentialSubject": json_values, "proof": proofs | st.lists(proofs, max_size=3),
             "endorsement": st.lists(json_values, max_size=3), "id": scalars, "validFrom": scalars,
             "credentialStatus": json_values, "extra": json_values})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


headers = st.fixed_dictionaries({}, optional={
    "alg": st.sampled_from(["ES256", "RS256", "EdDSA", "none", "HS256", "", "ES256K"]),
    "typ": st.sampled_from(["JWT", "vc+jwt", "vc+ld+json+jwt", "x"]),
    "kid": st.sampled_from(["did:key:z6Mk", "https://h/users/alice/../mallory/jwks.json#k1", "did:jwk:e30",
                            "did:web:h%2e%2e:x#k", "#k", ""]),
    "jwk": json_values | st.fixed_dictionaries({"kty": st.sampled_from(["EC", "OKP", "RSA", "oct"]),
                                                "crv": st.sampled_from(["P-256", "Ed25519", "x"]),
                                                "x": st.text(max_size=50), "y": st.text(max_size=50)}),
    "crit": json_values, "b64": st.booleans(),
})
tokens = st.tuples(headers, credentials | json_values, st.binary(max_size=80)).map(
    lambda t: ".".join([_b64(json.dumps(t[0]).encode()), _b64(json.dumps(t[1]).encode()), _b64(t[2])]))
vc1_tokens = st.tuples(headers, credentials).map(
    lambda t: ".".join([_b64(json.dumps(t[0]).encode()), _b64(json.dumps({"vc": t[1], "iss": "x"}).encode()),
                        _b64(b"sig")]))


def _check(value: Any) -> None:
    start = time.monotonic()
    try:
        report = verify(value, options=OPTIONS)
    except OpenBadgesError:
        pass
    else:
        assert report.check("internal") is None, report.check("internal")
        assert report.valid is False  # nothing here is signed by anyone trusted
    assert time.monotonic() - start < TOTAL_TIMEOUT + SLACK


FUZZ = settings(max_examples=600, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(credentials)
def test_fuzz_json_ld_credentials(doc: dict[str, Any]) -> None:
    _check(doc)


@FUZZ
@given(tokens | vc1_tokens)
def test_fuzz_jose_tokens(token: str) -> None:
    _check(token)


@FUZZ
@given(credentials)
def test_fuzz_json_ld_credentials_as_text(doc: dict[str, Any]) -> None:
    _check(json.dumps(doc).encode())
