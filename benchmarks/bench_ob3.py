"""Open Badges 3.0 throughput, side by side with openbadgeslib on the same credentials.

Run: ``.venv/bin/python -m benchmarks.bench_ob3`` (or ``make bench``). Prints operations per second for
both libraries and the ratio (ours / theirs), measured in the same run. Targets (issue 7): Data Integrity
``eddsa-rdfc-2022`` sign and verify >= 3x openbadgeslib.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from openbadges_core._ob3._dataintegrity import sign_data_integrity, verify_data_integrity
from openbadges_core._ob3._multibase import ed25519_multikey

TARGETS = {"di sign": 3.0, "di verify": 3.0, "jwt RS256 verify": 2.0, "jwt ES256 verify": 2.0,
           "jwt EdDSA verify": 2.0}


def _credential(n: int) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": f"urn:uuid:8f4c1c2e-0000-4000-8000-{n:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.com/issuers/876543", "type": ["Profile"], "name": "Example Corp"},
        "validFrom": "2024-01-01T00:00:00Z",
        "name": "Teamwork Badge",
        "credentialSubject": {
            "id": f"did:example:learner{n}",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.com/achievements/teamwork",
                "type": ["Achievement"],
                "criteria": {"narrative": "Nominated by peers and reviewed by management."},
                "description": "Collaborates within a group environment.",
                "name": "Teamwork",
            },
        },
    }


def _rate(fn: Callable[[int], Any], *, seconds: float = 1.5, minimum: int = 20) -> float:
    fn(0)  # warm caches (processed contexts) the way a long-running service would have them
    count = 0
    start = time.perf_counter()
    while True:
        fn(count)
        count += 1
        elapsed = time.perf_counter() - start
        if count >= minimum and elapsed >= seconds:
            return count / elapsed


def main() -> None:
    from openbadgeslib.ob3.ldp import add_data_integrity_proof, verify_data_integrity_proof

    key = Ed25519PrivateKey.generate()
    raw_pub = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    vm = f"https://example.com/issuers/876543#{ed25519_multikey(raw_pub)}"
    priv_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    pub_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    credentials = [_credential(i) for i in range(64)]
    ours_signed = [sign_data_integrity(c, key, verification_method=vm) for c in credentials]
    theirs_signed = [add_data_integrity_proof(copy.deepcopy(c), priv_pem, vm) for c in credentials]
    # Same credentials, same key: each library must accept the other's proofs (sanity, not timed).
    verify_data_integrity(theirs_signed[0])
    verify_data_integrity_proof(copy.deepcopy(ours_signed[0]), pub_pem)

    rows = [
        ("di sign",
         _rate(lambda i: sign_data_integrity(credentials[i % 64], key, verification_method=vm)),
         _rate(lambda i: add_data_integrity_proof(credentials[i % 64], priv_pem, vm))),
        ("di verify",
         _rate(lambda i: verify_data_integrity(ours_signed[i % 64])),
         _rate(lambda i: verify_data_integrity_proof(theirs_signed[i % 64], pub_pem))),
    ]
    rows += _jwt_rows()
    print(f"{'operation':<18}{'ours/s':>10}{'openbadgeslib/s':>18}{'ratio':>8}{'target':>8}")
    for name, ours, theirs in rows:
        ratio = ours / theirs
        target = TARGETS.get(name)
        mark = "" if target is None else ("  ok" if ratio >= target else "  BELOW")
        shown = f"{target:>7.1f}x" if target is not None else f"{'-':>8}"
        print(f"{name:<18}{ours:>10.1f}{theirs:>18.1f}{ratio:>7.2f}x{shown}{mark}")


def _jwt_rows() -> list[tuple[str, float, float]]:
    from openbadgeslib.ob3.signer import OB3Signer
    from openbadgeslib.ob3.verifier import OB3Verifier

    from openbadges_core import generate_key
    from openbadges_core.ob3 import sign_vc_jwt, verify_vc_jwt

    rows = []
    for alg in ("RS256", "ES256", "EdDSA"):
        key = generate_key(alg)
        pub = key.public_key
        theirs_signer = OB3Signer(key.to_pem(), algorithm=alg)
        theirs_verifier = OB3Verifier(pub.to_pem())
        credentials = [_credential(i) for i in range(64)]
        payloads = [{**c, "iss": c["issuer"]["id"], "jti": c["id"], "sub": c["credentialSubject"]["id"],
                     "nbf": 1704067200} for c in credentials]
        ours_tokens = [sign_vc_jwt(c, key, allow_eddsa=True) for c in credentials]
        theirs_tokens = [theirs_signer.sign_payload(p) for p in payloads]
        rows.append((f"jwt {alg} sign",
                     _rate(lambda i: sign_vc_jwt(credentials[i % 64], key, allow_eddsa=True), seconds=1.0),  # noqa: B023 (called at once)
                     _rate(lambda i: theirs_signer.sign_payload(payloads[i % 64]), seconds=1.0)))  # noqa: B023 (called at once)
        rows.append((f"jwt {alg} verify",
                     _rate(lambda i: verify_vc_jwt(ours_tokens[i % 64], trusted_keys=[pub]), seconds=1.0),  # noqa: B023 (called at once)
                     _rate(lambda i: theirs_verifier.verify(theirs_tokens[i % 64]), seconds=1.0)))  # noqa: B023 (called at once)
    return rows


if __name__ == "__main__":
    main()
