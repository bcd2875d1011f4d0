"""Verification throughput: signed OB 2.0 JWS with cached keys, and hosted assertions against a local
server with a warm cache. Per core: the verifier runs in one thread; the HTTP server runs in another
process so its CPU is not charged to the verifier (the machine's other core serves it).

Targets (issue 4): signed RS256 >= 4,000 verifications/s per core; hosted >= 500/s per core.
Baselines measured in the same run:
  signed  raw ``cryptography`` RSA PKCS#1 v1.5 SHA-256 verify of the same JWS signing input
  hosted  a bare ``httpx`` GET of the same assertion URLs on a keep-alive connection (no checks)

Run: ``python -m benchmarks verify`` (``--quick`` for a shorter run).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SIGNED_TARGET = 4000.0
HOSTED_TARGET = 500.0


def _rate(fn: Callable[[int], None], items: int, seconds: float) -> float:
    """Calls per second of ``fn(i)`` over rounds of ``items`` calls, median of rounds."""
    rates = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        start = time.perf_counter()
        for i in range(items):
            fn(i)
        rates.append(items / (time.perf_counter() - start))
    return statistics.median(rates)


def _documents(base: str, key: Any, n: int) -> tuple[dict[str, bytes], list[str], list[str]]:
    from openbadges_core import sign_assertion

    ob2 = "https://w3id.org/openbadges/v2"
    issuer = {"@context": ob2, "type": "Issuer", "id": f"{base}/issuer", "name": "Bench University",
              "url": "https://example.org", "email": "badges@example.org", "publicKey": f"{base}/key",
              "revocationList": f"{base}/revocations"}
    badge = {"@context": ob2, "type": "BadgeClass", "id": f"{base}/badge", "name": "Benchmarking",
             "description": "Measured things.", "image": "https://example.org/bench.png",
             "criteria": {"narrative": "Measure."}, "issuer": f"{base}/issuer"}
    key_doc = {"@context": ob2, "type": "CryptographicKey", "id": f"{base}/key", "owner": f"{base}/issuer",
               "publicKeyPem": key.public_key.to_pem().decode()}
    revocations = {"@context": ob2, "type": "RevocationList", "id": f"{base}/revocations",
                   "issuer": f"{base}/issuer",
                   "revokedAssertions": [f"urn:uuid:00000000-0000-4000-8000-{i:012d}" for i in range(50)]}
    routes = {"/issuer": issuer, "/badge": badge, "/key": key_doc, "/revocations": revocations}
    recipient = {"type": "email", "hashed": True, "salt": "s",
                 "identity": "sha256$e4a6a0577479b2b4f3b4f5b1e8f0d5d8a7c0c5a0e6f2e0b1c3d5f7a9b0c2d4e6"}
    tokens, urls = [], []
    for i in range(n):
        common = {"@context": ob2, "type": "Assertion", "recipient": recipient, "badge": f"{base}/badge",
                  "issuedOn": "2025-01-02T03:04:05Z", "expires": "2030-01-02T03:04:05Z"}
        signed = dict(common, id=f"urn:uuid:11111111-0000-4000-8000-{i:012d}",
                      verification={"type": "SignedBadge", "creator": f"{base}/key"})
        tokens.append(sign_assertion(signed, key))
        routes[f"/a/{i}"] = dict(common, id=f"{base}/a/{i}", verification={"type": "HostedBadge"})
        urls.append(f"{base}/a/{i}")
    return {p: json.dumps(d).encode() for p, d in routes.items()}, tokens, urls


def main(argv: list[str] | None = None) -> int:
    import httpx
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from jwt.utils import base64url_decode

    from openbadges_core import DocumentCache, VerifyOptions, generate_key, verify

    quick = "--quick" in (argv or [])
    seconds = 1.0 if quick else 3.0
    n = 200
    key = generate_key("RS256")

    # Two phases: the server reports its port, then receives the documents built for that port.
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_two_phase, args=(child,), daemon=True)
    proc.start()
    port = parent.recv()
    base = f"http://127.0.0.1:{port}"
    routes, tokens, urls = _documents(base, key, n)
    parent.send(routes)
    parent.recv()  # routes installed
    try:
        options = VerifyOptions(allow_private_network=True, cache=DocumentCache(ttl=3600))
        for check in (verify(tokens[0], options=options), verify(urls[0], options=options)):  # warm the cache
            if not check.valid:
                print("benchmark setup is broken:", [c.to_dict() for c in check.errors], file=sys.stderr)
                return 1

        # (a) signed
        public = key.public_key.cryptography_key
        split = [t.rsplit(".", 1) for t in tokens]
        raw_inputs = [(base64url_decode(sig.encode()), si.encode()) for si, sig in split]

        def raw_verify(i: int) -> None:
            sig, data = raw_inputs[i % n]
            public.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())

        def ours_signed(i: int) -> None:
            report = verify(tokens[i % n], options=options)
            if not report.valid:
                raise AssertionError(report.errors)

        from openbadges_core import decode_jws_unverified
        from openbadges_core.ob2 import document_issues

        payloads = [json.loads(decode_jws_unverified(t)[1]) for t in tokens]

        def validate_only(i: int) -> None:
            document_issues(payloads[i % n])

        raw_rate = _rate(raw_verify, n, seconds)
        signed_rate = _rate(ours_signed, n, seconds)
        validation_rate = _rate(validate_only, n, seconds / 2)

        # (b) hosted
        client = httpx.Client(trust_env=False)

        def raw_get(i: int) -> None:
            client.get(urls[i % n]).raise_for_status()

        def ours_hosted(i: int) -> None:
            report = verify(urls[i % n], options=options)
            if not report.valid:
                raise AssertionError(report.errors)

        get_rate = _rate(raw_get, n, seconds)
        hosted_rate = _rate(ours_hosted, n, seconds)
        client.close()
    finally:
        parent.send("stop")
        proc.join(timeout=5)

    print(f"signed RS256 (cached key): {signed_rate:8.0f}/s  target {SIGNED_TARGET:.0f}/s -> "
          f"{signed_rate / SIGNED_TARGET:.2f}x target")
    print(f"  baseline raw RSA verify: {raw_rate:8.0f}/s  ours/raw = {signed_rate / raw_rate:.2f}")
    share = (1 / validation_rate) / (1 / signed_rate)
    print(f"  of which document_issues(assertion): {1e6 / validation_rate:.0f} us of {1e6 / signed_rate:.0f} us "
          f"per verification ({share:.0%})")
    print(f"hosted (warm cache):       {hosted_rate:8.0f}/s  target {HOSTED_TARGET:.0f}/s -> "
          f"{hosted_rate / HOSTED_TARGET:.2f}x target")
    print(f"  baseline bare httpx GET: {get_rate:8.0f}/s  ours/raw = {hosted_rate / get_rate:.2f}")
    return 0 if signed_rate >= SIGNED_TARGET and hosted_rate >= HOSTED_TARGET else 1


def _serve_two_phase(conn: Any) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.core.verify._badge_server import BadgeServer

    with BadgeServer() as srv:
        conn.send(srv.port)
        for path, body in conn.recv().items():
            srv.route(path, body=body)
        conn.send("ready")
        conn.recv()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
