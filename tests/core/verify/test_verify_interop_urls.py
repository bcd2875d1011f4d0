"""verify(URL) against a real local server: signed OB 2.0 assertions served by content negotiation,
baked badge images, and did:web over http on loopback (a development switch, off by default)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pytest

from openbadges_core import VerifyOptions, bake, generate_key, sign_assertion, sign_jws, verify
from openbadges_core._ob3._didkeys import did_web_url
from tests.core.baking._baking_support import SVG, make_png
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._badge_world import BadgeWorld
from tests.core.verify._ob3_verify_support import base_credential

LOCAL = VerifyOptions(allow_private_network=True, use_cache=False, timeout=5.0)


class _Negotiating(BaseHTTPRequestHandler):
    """Serves ``routes[path][media type]``: the JWS to ``Accept: application/jose``, JSON otherwise."""

    protocol_version = "HTTP/1.1"
    routes: ClassVar[dict[str, dict[str, bytes]]] = {}
    accepts: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        forms = self.routes.get(self.path, {})
        accept = self.headers.get("Accept", "")
        self.accepts.append(accept)
        media = "application/jose" if "application/jose" in accept and "application/jose" in forms \
            else "application/ld+json"
        body = forms.get(media)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


@pytest.fixture(scope="module")
def negotiating() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Negotiating)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


SIGNED = True  # the default world also publishes a key document and a revocation list


# --- signed OB 2.0 assertions at a URL --------------------------------------------------------------
def _serve_signed(negotiating: str, world: BadgeWorld, name: str, *, jws: bool = True,
                  signer: Any = None, **over: Any) -> tuple[str, dict[str, Any]]:
    url = f"{negotiating}/{name}"
    assertion = world.assertion(signed=True, id=url, **over)
    forms = {"application/ld+json": json.dumps(assertion).encode()}
    if jws:
        forms["application/jose"] = sign_assertion(assertion, signer or world.key).encode()
    _Negotiating.routes[f"/{name}"] = forms
    return url, assertion


def test_signed_assertion_url_is_verified_from_the_jws_it_serves(negotiating: str, world: BadgeWorld) -> None:
    url, _ = _serve_signed(negotiating, world, "signed-ok")
    report = verify(url, options=LOCAL)
    assert report.valid, [c.to_dict() for c in report.errors]
    assert report.verification_type == "SignedBadge"
    assert report.check("jws_signature").passed and report.check("signed_copy").passed
    assert "application/jose" in _Negotiating.accepts[-1]


def test_signed_assertion_url_with_a_forged_jws_fails(negotiating: str, world: BadgeWorld) -> None:
    url, _ = _serve_signed(negotiating, world, "signed-forged", signer=generate_key("RS256"))
    report = verify(url, options=LOCAL)
    assert not report.valid and not report.check("jws_signature").passed


def test_signed_assertion_url_serving_another_assertions_jws_fails(negotiating: str, world: BadgeWorld) -> None:
    url, _ = _serve_signed(negotiating, world, "signed-swap")
    other = world.assertion(signed=True, id=f"{negotiating}/somewhere-else")
    _Negotiating.routes["/signed-swap"]["application/jose"] = sign_assertion(other, world.key).encode()
    report = verify(url, options=LOCAL)
    assert not report.valid and not report.check("signed_copy").passed


def test_signed_assertion_url_without_a_jws_says_how_to_verify_it(negotiating: str, world: BadgeWorld) -> None:
    url, _ = _serve_signed(negotiating, world, "signed-nojws", jws=False)
    report = verify(url, options=LOCAL)
    check = report.check("verification_type")
    assert not report.valid and check is not None and not check.passed
    assert "application/jose" in check.message and "SignedBadge" in check.message


# --- baked images at a URL --------------------------------------------------------------------------
@pytest.mark.parametrize(("image", "content_type"), [("png", "image/png"), ("svg", "image/svg+xml"),
                                                     ("png", "application/octet-stream")])
def test_baked_image_url_is_unbaked_and_verified(server: BadgeServer, world: BadgeWorld, image: str,
                                                 content_type: str) -> None:
    token = world.signed()
    baked = bake(make_png() if image == "png" else SVG, token)
    url = server.route(f"{world.prefix}/badge.{image}.{content_type.replace('/', '_')}", body=baked,
                       content_type=content_type)
    report = verify(url, options=LOCAL)
    assert report.valid, [c.to_dict() for c in report.errors]
    assert report.check("unbake").passed and report.verification_type == "SignedBadge"


def test_image_url_without_a_badge_is_an_unbake_failure(server: BadgeServer, world: BadgeWorld) -> None:
    url = server.route(f"{world.prefix}/plain.png", body=make_png(), content_type="image/png")
    report = verify(url, options=LOCAL)
    assert not report.valid and not report.check("unbake").passed


def test_image_url_larger_than_the_response_limit_is_refused(server: BadgeServer, world: BadgeWorld) -> None:
    big = bake(make_png(400, 400, noise=True), world.signed())
    url = server.route(f"{world.prefix}/big.png", body=big, content_type="image/png")
    report = verify(url, options=VerifyOptions(allow_private_network=True, use_cache=False,
                                               max_response_bytes=len(big) // 2))
    check = report.check("fetch_assertion")
    assert not report.valid and check is not None and not check.passed
    assert (check.detail or {}).get("code") == "response_too_large"


def test_image_url_whose_baked_url_is_an_image_is_not_followed(server: BadgeServer, world: BadgeWorld) -> None:
    inner = server.route(f"{world.prefix}/inner.png", body=bake(make_png(), world.signed()),
                         content_type="image/png")
    outer = server.route(f"{world.prefix}/outer.png", body=bake(make_png(), inner), content_type="image/png")
    report = verify(outer, options=LOCAL)
    assert not report.valid  # a baked URL must lead to an assertion, not to another image
    assert server.hits[f"{world.prefix}/inner.png"] == 1


# --- did:web over http on loopback ------------------------------------------------------------------
def _did_web_credential(server: BadgeServer, conformance: Path, name: str) -> tuple[str, str]:
    """A VC-JWT issued by ``did:web:127.0.0.1%3A<port>:<name>``, its DID document on the local server."""
    key = generate_key("ES256")
    did = f"did:web:{quote(f'127.0.0.1:{server.port}')}:{name}"
    jwk = {k: v for k, v in key.public_key.to_jwk().items() if k not in ("alg", "kid")}
    server.json(f"/{name}/did.json", {"@context": "https://www.w3.org/ns/did/v1", "id": did,
                                      "verificationMethod": [{"id": f"{did}#key-1", "type": "JsonWebKey",
                                                              "controller": did, "publicKeyJwk": jwk}]},
                content_type="application/did+json")
    doc = base_credential(conformance)
    doc["issuer"] = {**doc["issuer"], "id": did}
    token = sign_jws({**doc, "iss": did, "jti": doc["id"]}, key, headers={"typ": "JWT", "kid": f"{did}#key-1"})
    return did, token


def test_http_did_web_on_loopback_with_the_development_switch(server: BadgeServer, conformance: Path) -> None:
    _did, token = _did_web_credential(server, conformance, "dev1")
    report = verify(token, options=VerifyOptions(allow_private_network=True, allow_http_did_web=True,
                                                 use_cache=False))
    assert report.valid, [c.to_dict() for c in report.errors]


def test_http_did_web_is_refused_by_default_and_the_error_names_the_switch(server: BadgeServer,
                                                                           conformance: Path) -> None:
    _did, token = _did_web_credential(server, conformance, "dev2")
    report = verify(token, options=LOCAL)
    check = report.check("proof")
    assert not report.valid and check is not None and not check.passed
    assert "allow_http_did_web" in check.message
    assert server.hits["/dev2/did.json"] == 0  # https was tried, the http server never asked


@pytest.mark.parametrize("did", ["did:web:example.com", "did:web:127.evil.example", "did:web:localhost.evil.example",
                                 "did:web:10.0.0.1%3A8000"])
def test_the_switch_keeps_https_for_hosts_that_are_not_loopback(did: str) -> None:
    assert did_web_url(did, allow_http_loopback=True).startswith("https://")


@pytest.mark.parametrize("did", ["did:web:localhost%3A8000", "did:web:127.0.0.1%3A8000:a", "did:web:%5B%3A%3A1%5D"])
def test_the_switch_uses_http_for_loopback_hosts_only_when_on(did: str) -> None:
    assert did_web_url(did, allow_http_loopback=True).startswith("http://")
    assert did_web_url(did).startswith("https://")
