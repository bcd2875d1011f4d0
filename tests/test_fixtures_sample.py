"""fixtures/: the committed sample material is what regenerate.py builds, and every piece of it verifies."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import openbadges_core as ob
from openbadges_core import ob2, ob3

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: ECDSA signatures are randomised by design: these files are compared by header/payload + verification
RANDOMISED = {"ob3/credential-vcjwt.jwt"}


def _regenerate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fixtures_regenerate", FIXTURES / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REGEN = _regenerate()
INDEX: dict[str, str] = json.loads((FIXTURES / "index.json").read_text())


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8").strip()


def _documents() -> dict[str, Any]:
    return {url: json.loads((FIXTURES / name).read_text()) for url, name in INDEX.items() if name.endswith(".json")}


class FixtureFetcher:
    """Serves fixture files at their URLs (the hosted assertion must be fetched: it is never preloaded)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> ob.FetchResponse:
        self.urls.append(url)
        name = INDEX.get(url)
        if name is None:
            return ob.FetchResponse(url=url, status_code=404, content_type="text/plain", body=b"not found")
        kind = "application/ld+json" if name.endswith(".json") else "image/png"
        return ob.FetchResponse(url=url, status_code=200, content_type=kind, body=(FIXTURES / name).read_bytes())


def _options(**extra: Any) -> ob.VerifyOptions:
    return ob.VerifyOptions(documents=_documents(), use_cache=False, **extra)


def test_regeneration_is_reproducible(tmp_path: Path) -> None:
    built = REGEN.build(tmp_path, FIXTURES / "keys")
    committed = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*")
                 if p.is_file() and p.parent.name != "keys" and p.suffix not in (".py", ".md")
                 and "__pycache__" not in p.parts}
    assert set(built) == committed
    for name, data in built.items():
        if name in RANDOMISED:
            continue
        assert data == (FIXTURES / name).read_bytes(), name
    # randomised: same header and claims as the committed token, and both verify with the test key
    p256 = REGEN.load_keys(FIXTURES / "keys")["ES256"].public_key
    for name in RANDOMISED:
        fresh, old = built[name].decode().strip(), _text(name)
        assert ob.decode_jws_unverified(fresh) == ob.decode_jws_unverified(old)
        ob.verify_jws(fresh, p256)
        ob.verify_jws(old, p256)


def test_regenerating_into_an_empty_folder_signs_the_es256_token_anew(tmp_path: Path) -> None:
    first = REGEN.build(tmp_path, FIXTURES / "keys")["ob3/credential-vcjwt.jwt"]
    second = REGEN.build(tmp_path, FIXTURES / "keys")["ob3/credential-vcjwt.jwt"]
    assert first != second  # nothing kept in tmp_path, so ECDSA's random nonce shows: the reason for RANDOMISED


def test_test_keys_are_marked_and_match_the_published_keys() -> None:
    keys = REGEN.load_keys(FIXTURES / "keys")
    assert {k.alg for k in keys.values()} == {"RS256", "ES256", "EdDSA"}
    assert all(p.name.startswith("TEST-ONLY-") for p in (FIXTURES / "keys").iterdir())
    published = ob.load_public_key(json.loads(_text("ob2/key.json"))["publicKeyPem"])
    assert published == keys["RS256"].public_key
    assert "never" in (FIXTURES / "README.md").read_text().lower()


def test_every_json_fixture_validates() -> None:
    for name in ("ob2/issuer.json", "ob2/badge.json", "ob2/key.json", "ob2/revocation-list.json",
                 "ob2/assertion-hosted.json"):
        assert ob2.document_issues(_text(name)) == [], name
    ob3.validate_credential(json.loads(_text("ob3/credential-di.json")))
    ob3.validate_credential(json.loads(ob.decode_jws_unverified(_text("ob3/credential-vcjwt.jwt"))[1]))


def test_signed_assertion_verifies_offline() -> None:
    report = ob.verify(_text("ob2/assertion-signed.jws"), recipient="learner@example.org", options=_options())
    assert (report.valid, report.status, report.verification_type) == (True, "valid", "SignedBadge"), report.errors
    assert report.recipient_match is True


def test_revoked_signed_assertion_is_revoked() -> None:
    report = ob.verify(_text("ob2/assertion-revoked.jws"), options=_options())
    assert (report.valid, report.status, report.revocation_reason) == (False, "revoked", "Awarded by mistake")


def test_hosted_assertion_verifies_through_a_fixture_fetcher() -> None:
    fetcher = FixtureFetcher()
    report = ob.verify(REGEN.OB2_HOSTED, recipient="learner@example.org", options=_options(fetcher=fetcher))
    assert (report.valid, report.verification_type) == (True, "HostedBadge"), report.errors
    assert fetcher.urls == [REGEN.OB2_HOSTED]  # the rest came from documents=


def test_a_forged_signed_assertion_fails() -> None:
    header, payload, _ = _text("ob2/assertion-signed.jws").split(".")
    other = _text("ob2/assertion-revoked.jws").split(".")[2]
    report = ob.verify(f"{header}.{payload}.{other}", options=_options())
    assert not report.valid and "jws_signature" in {c.name for c in report.errors}


def test_ob3_data_integrity_credential_verifies_offline_with_no_documents() -> None:
    report = ob.verify(_text("ob3/credential-di.json"), recipient="learner@example.org",
                       options=ob.VerifyOptions(use_cache=False, fetcher=FixtureFetcher()))
    assert (report.valid, report.version, report.verification_type) == (True, "3.0", "DataIntegrity"), report.errors
    assert report.issuer is not None and str(report.issuer["id"]).startswith("did:key:z6Mk")


def test_ob3_vc_jwt_verifies_with_its_did_web_document() -> None:
    report = ob.verify(_text("ob3/credential-vcjwt.jwt"), recipient="learner@example.org", options=_options())
    assert (report.valid, report.verification_type) == (True, "VC-JWT"), report.errors
    assert "issuer_key" in {c.name for c in report.checks if c.passed}
    without = ob.verify(_text("ob3/credential-vcjwt.jwt"),
                        options=ob.VerifyOptions(use_cache=False, fetcher=FixtureFetcher(), documents={}))
    assert without.valid  # the fixture fetcher serves the DID document at its did:web URL
    offline = ob.verify(_text("ob3/credential-vcjwt.jwt"), options=ob.VerifyOptions(
        use_cache=False, fetcher=_NoNetwork()))
    assert not offline.valid  # without its DID document the key cannot be tied to the issuer


class _NoNetwork:
    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> ob.FetchResponse:
        raise ob.FetchError(f"no network in this test: {url}")


@pytest.mark.parametrize(("image", "payload"), [
    ("ob2/assertion-signed.baked.png", "ob2/assertion-signed.jws"),
    ("ob2/assertion-signed.baked.svg", "ob2/assertion-signed.jws"),
    ("ob3/credential-di.baked.png", "ob3/credential-di.json"),
    ("ob3/credential-di.baked.svg", "ob3/credential-di.json"),
])
def test_baked_images_unbake_to_the_committed_payloads_and_verify(image: str, payload: str) -> None:
    baked = ob.unbake(FIXTURES / image)
    expected = _text(payload)
    if payload.endswith(".json"):
        assert json.loads(baked.payload) == json.loads(expected)
    else:
        assert baked.payload == expected
    assert baked.version == ("3.0" if image.startswith("ob3") else "2.0")
    report = ob.verify(FIXTURES / image, options=_options(fetcher=FixtureFetcher()))
    assert report.valid and report.input_kind == "image", report.errors
