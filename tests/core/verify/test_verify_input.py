"""What ``verify`` accepts, what it refuses, and that it never crashes, plus SSRF refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openbadges_core import DocumentCache, FetchError, SafeFetcher, VerificationError, VerifyOptions, verify
from tests.core.verify._badge_world import BadgeWorld, failed

NO_NET = VerifyOptions(fetcher=None, cache=DocumentCache(), timeout=1, total_timeout=2)


# --- SSRF -----------------------------------------------------------------------------------------
def test_default_verifier_refuses_a_loopback_assertion_url(world: BadgeWorld) -> None:
    url, _ = world.hosted()
    hits = world.srv.hits[world.path(url)]
    report = verify(url)  # default options: no private network
    assert not report.valid
    check = report.check("fetch_assertion")
    assert check is not None and not check.passed and check.detail["code"] == "blocked_address"  # type: ignore[index]
    assert "non-public" in check.message
    assert world.srv.hits[world.path(url)] == hits


@pytest.mark.parametrize("url", ["http://localhost/a", "http://10.0.0.8/a", "http://192.168.0.1/a",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]/a",
                                 "http://100.64.0.1/a", "http://[::ffff:127.0.0.1]/a", "http://0.0.0.0/a"])
def test_default_verifier_refuses_private_targets(url: str) -> None:
    report = verify(url)
    assert report.check("fetch_assertion").detail["code"] == "blocked_address"  # type: ignore[union-attr,index]


def test_redirect_into_the_private_network_is_refused(world: BadgeWorld) -> None:
    # Only 127.0.0.1 is opened (standing in for a public host); the redirect target is private.
    world.srv.redirect(world.prefix + "/jump", "http://192.168.1.1/assertion")
    fetcher = SafeFetcher(allowed_networks=["127.0.0.1/32"])
    report = verify(world.url("/jump"), options=VerifyOptions(fetcher=fetcher, cache=DocumentCache()))
    assert report.check("fetch_assertion").detail["code"] == "blocked_address"  # type: ignore[union-attr,index]
    fetcher.close()


def test_linked_issuer_on_a_private_address_is_refused(world: BadgeWorld) -> None:
    world.publish(world.badge_url, world.badge(issuer="http://10.9.8.7/issuer"))
    url, _ = world.hosted()
    fetcher = SafeFetcher(allowed_networks=["127.0.0.1/32"])
    report = verify(url, options=VerifyOptions(fetcher=fetcher, cache=DocumentCache()))
    assert report.check("fetch_issuer").detail["code"] == "blocked_address"  # type: ignore[union-attr,index]
    assert not report.valid
    fetcher.close()


def test_allow_private_network_reaches_the_local_server(world: BadgeWorld) -> None:
    url, _ = world.hosted()
    assert verify(url, options=VerifyOptions(allow_private_network=True, cache=DocumentCache())).valid


def test_private_and_public_policies_do_not_share_cache_entries(world: BadgeWorld) -> None:
    cache = DocumentCache()
    url, doc = world.hosted()
    assert verify(url, options=VerifyOptions(allow_private_network=True, cache=cache)).valid
    # The linked documents are cached under the private policy; a default verification must not see them.
    report = verify(doc, options=VerifyOptions(cache=cache))
    assert report.check("fetch_assertion").detail["code"] == "blocked_address"  # type: ignore[union-attr,index]


# --- inputs ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["", "   ", "hello world", "not/a/file.png", "{broken", "[1,2]",
                                 b"\x00\x01\x02", b"\xff\xfe garbage", 42, None, ["x"], "ftp://x/y"])
def test_unverifiable_input_raises_verification_error(bad: object) -> None:
    with pytest.raises(VerificationError):
        verify(bad)  # type: ignore[arg-type]


def test_missing_file_raises_verification_error(tmp_path: Path) -> None:
    with pytest.raises(VerificationError):
        verify(tmp_path / "missing.png")


def test_json_file_path_is_read(world: BadgeWorld, tmp_path: Path) -> None:
    _url, doc = world.hosted()
    path = tmp_path / "a.json"
    path.write_text(json.dumps(doc))
    report = verify(path, options=VerifyOptions(allow_private_network=True, cache=DocumentCache()))
    assert report.valid and report.input_kind == "json"


def test_badge_class_given_instead_of_an_assertion_fails(world: BadgeWorld) -> None:
    report = verify(world.badge(), options=NO_NET)
    assert failed(report) == {"validate_assertion": "error"}


def test_ob3_credential_is_reported_as_another_version() -> None:
    vc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
    report = verify(vc, options=NO_NET)
    assert report.version == "3.0" and failed(report) == {"ob_version": "error"}


def test_custom_fetcher_that_crashes_is_a_failed_check(world: BadgeWorld) -> None:
    class Broken:
        def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> object:
            raise RuntimeError("boom")

    report = verify(world.url("/x"), options=VerifyOptions(fetcher=Broken()))  # type: ignore[arg-type]
    assert failed(report) == {"fetch_assertion": "error"}


def test_custom_fetcher_errors_are_failed_checks() -> None:
    class Offline:
        def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> object:
            raise FetchError("offline")

    report = verify("https://badges.example.org/a/1", options=VerifyOptions(fetcher=Offline()))  # type: ignore[arg-type]
    assert report.check("fetch_assertion").detail["code"] == "fetch_error"  # type: ignore[union-attr,index]


def test_report_is_json_serialisable_with_stable_fields(world: BadgeWorld) -> None:
    url, _ = world.hosted()
    data = json.loads(json.dumps(verify(url, options=VerifyOptions(allow_private_network=True)).to_dict()))
    assert set(data) >= {"valid", "status", "version", "revoked", "expired", "recipientMatch", "assertion",
                         "badge", "issuer", "checks"}
    assert all(set(c) >= {"name", "level", "passed", "message"} for c in data["checks"])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
assertion_keys = st.sampled_from(["@context", "type", "id", "recipient", "badge", "issuedOn", "expires",
                                  "verification", "revoked", "image"])


class _Offline:
    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> object:
        raise FetchError("offline")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(assertion_keys, json_values, max_size=8))
def test_hostile_json_never_crashes(doc: dict[str, object]) -> None:
    doc.setdefault("@context", "https://w3id.org/openbadges/v2")
    report = verify(doc, options=VerifyOptions(fetcher=_Offline(), cache=DocumentCache()))  # type: ignore[arg-type]
    assert not report.valid
    assert report.check("internal") is None, report.check("internal")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200) | st.text(max_size=200))
def test_arbitrary_input_is_a_report_or_a_verification_error(data: bytes | str) -> None:
    try:
        report = verify(data, options=VerifyOptions(fetcher=_Offline(), cache=DocumentCache()))  # type: ignore[arg-type]
    except VerificationError:
        return
    assert report.check("internal") is None, report.check("internal")


def test_fetcher_is_always_given_the_remaining_time_budget(world: BadgeWorld) -> None:
    from openbadges_core import FetchResponse

    class Recording:  # the one Fetcher protocol: fetch(url, *, accept, timeout)
        def __init__(self) -> None:
            self.inner = SafeFetcher(allow_private_network=True)
            self.timeouts: list[float] = []

        def fetch(self, url: str, *, accept: str, timeout: float) -> FetchResponse:
            self.timeouts.append(timeout)
            return self.inner.fetch(url, accept=accept, timeout=timeout)

    url, _ = world.hosted()
    fetcher = Recording()
    report = verify(url, options=VerifyOptions(fetcher=fetcher, cache=DocumentCache(), total_timeout=7.0))
    assert report.valid, failed(report)
    assert len(fetcher.timeouts) >= 3 and all(0 < t <= 7.0 for t in fetcher.timeouts)
    assert fetcher.timeouts == sorted(fetcher.timeouts, reverse=True)  # one shrinking budget
    fetcher.inner.close()


def test_ob3_vc_jwt_is_reported_as_another_version() -> None:
    from openbadges_core import generate_key, sign_jws

    token = sign_jws({"iss": "did:example:1", "vc": {"type": ["VerifiableCredential"]}}, generate_key("EdDSA"))
    report = verify(token, options=NO_NET)
    assert report.version == "3.0" and failed(report) == {"ob_version": "error"}
