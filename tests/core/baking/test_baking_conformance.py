"""The official baked examples (1EdTech validator test resources) unbake to their payloads."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import openbadges_core as ob


def _claims(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


@pytest.fixture
def ob30(conformance: Path) -> Path:
    return conformance / "examples" / "validator-ob30"


@pytest.mark.parametrize("ext", ["png", "svg"])
def test_official_ob30_json_badge_unbakes_to_the_credential(ob30: Path, ext: str) -> None:
    result = ob.unbake(ob30 / f"simple-json.{ext}")
    assert (result.format, result.version, result.kind) == (ext, "3.0", "json")
    credential = json.loads(result.payload)
    assert credential["id"] == "http://example.com/credentials/3527"
    assert "OpenBadgeCredential" in credential["type"]


@pytest.mark.parametrize("ext", ["png", "svg"])
@pytest.mark.parametrize("name", ["simple-jwt", "simple-jwt_v1"])
def test_official_ob30_jwt_badge_unbakes_to_a_vc_jwt(ob30: Path, name: str, ext: str) -> None:
    result = ob.unbake(ob30 / f"{name}.{ext}")
    assert (result.format, result.version, result.kind) == (ext, "3.0", "jws")
    claims = _claims(result.payload)
    credential = claims.get("vc", claims)
    assert "OpenBadgeCredential" in credential["type"]
    assert json.loads(base64.urlsafe_b64decode(result.payload.split(".")[0] + "=="))["alg"] == "RS256"


def test_official_ob20_badge_unbakes_to_the_assertion(conformance: Path) -> None:
    result = ob.unbake(conformance / "examples" / "validator-ob20" / "simple-badge.png")
    assert (result.format, result.version, result.kind) == ("png", "2.0", "json")
    assertion = json.loads(result.payload)
    assert assertion["@context"] == "https://w3id.org/openbadges/v2"
    assert assertion["type"] == "Assertion"
