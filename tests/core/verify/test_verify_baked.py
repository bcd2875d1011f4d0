"""Baked PNG/SVG badges: unbaked, then verified like any other input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from openbadges_core import DocumentCache, VerificationError, VerifyOptions, bake, verify
from tests.core.verify._badge_world import RECIPIENT, BadgeWorld, failed

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


SIGNED = True  # the default world also publishes a key document and a revocation list


@pytest.fixture(params=["png", "svg"])
def image(request: pytest.FixtureRequest) -> bytes:
    return png() if request.param == "png" else SVG


def test_baked_hosted_url_is_verified(world: BadgeWorld, options: VerifyOptions, image: bytes) -> None:
    url, _ = world.hosted()
    report = verify(bake(image, url), recipient=RECIPIENT, options=options)
    assert report.valid, failed(report)
    assert report.input_kind == "image" and report.check("unbake").passed  # type: ignore[union-attr]
    assert report.recipient_match is True


def test_baked_hosted_json_is_checked_against_the_hosted_copy(world: BadgeWorld, options: VerifyOptions,
                                                              image: bytes) -> None:
    _url, doc = world.hosted()
    report = verify(bake(image, doc), options=options)
    assert report.valid and report.check("hosted_copy").passed  # type: ignore[union-attr]


def test_baked_copy_differing_from_hosted_one_is_a_warning_and_hosted_wins(
        world: BadgeWorld, options: VerifyOptions, image: bytes) -> None:
    url, doc = world.hosted()
    world.publish(url, dict(doc, expires="2024-06-01T00:00:00Z"))  # the issuer changed it since baking
    report = verify(bake(image, doc), options=options)
    assert failed(report) == {"hosted_copy": "warning", "expiry": "error"}
    assert report.expired


def test_baked_signed_badge_is_verified(world: BadgeWorld, options: VerifyOptions, image: bytes) -> None:
    report = verify(bake(image, world.signed()), options=options)
    assert report.valid, failed(report)
    assert report.verification_type == "SignedBadge"


def test_baked_revoked_signed_badge(world: BadgeWorld, options: VerifyOptions, image: bytes) -> None:
    from openbadges_core import sign_assertion

    doc = world.assertion(signed=True)
    world.publish(world.revocations_url, world.revocation_list([doc["id"]]))
    report = verify(bake(image, sign_assertion(doc, world.key)), options=options)
    assert report.revoked and not report.valid


def test_baked_image_given_as_a_path(world: BadgeWorld, options: VerifyOptions, tmp_path: Path) -> None:
    path = tmp_path / "badge.png"
    path.write_bytes(bake(png(), world.signed()))
    assert verify(path, options=options).valid
    with pytest.raises(VerificationError):  # a str is never read as a path (issue #13)
        verify(str(path), options=options)


def test_image_without_a_badge_is_a_failed_unbake_check(options: VerifyOptions, image: bytes) -> None:
    report = verify(image, options=options)
    assert failed(report) == {"unbake": "error"}
    assert report.check("unbake").detail["code"] == "no_badge_payload"  # type: ignore[union-attr,index]


def test_corrupt_png_is_a_failed_unbake_check(options: VerifyOptions) -> None:
    data = bytearray(png())
    data[20] ^= 0xFF  # break the IHDR CRC
    report = verify(bytes(data), options=options)
    assert failed(report) == {"unbake": "error"}


def test_conformance_baked_png_unbakes_and_fails_only_on_unreachable_hosts(conformance: Path) -> None:
    # The official example points at example.org; with no network it must fail cleanly, never crash.
    data = (conformance / "examples" / "validator-ob20" / "simple-badge.png").read_bytes()
    report = verify(data, options=VerifyOptions(fetcher=_NoNetwork(), cache=DocumentCache()))
    assert report.check("unbake").passed  # type: ignore[union-attr]
    assert not report.valid
    assert all(c.name.startswith(("fetch_", "hosted", "jws", "revocation", "key")) or c.passed
               or c.name in ("validate_assertion", "verification_type") for c in report.checks), \
        json.dumps(report.to_dict()["checks"], indent=1)


class _NoNetwork:
    def fetch(self, url: str, *, accept: str = "", timeout: float | None = None) -> object:
        from openbadges_core import FetchError

        raise FetchError(f"no network in tests: {url}")
