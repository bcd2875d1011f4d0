"""Fixtures shared by the core tests: one badge server on 127.0.0.1 per module, an RS256 key, and a
:class:`BadgeWorld` published on it (signed — key document and revocation list too — in modules that set
``SIGNED = True``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openbadges_core import DocumentCache, PrivateKey, VerifyOptions, generate_key
from tests.core.verify._badge_server import BadgeServer
from tests.core.verify._badge_world import BadgeWorld


@pytest.fixture(scope="module")
def server() -> Iterator[BadgeServer]:
    with BadgeServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return generate_key("RS256")


@pytest.fixture
def world(server: BadgeServer, request: pytest.FixtureRequest) -> BadgeWorld:
    signed = getattr(request.module, "SIGNED", False)
    return BadgeWorld(server, request.getfixturevalue("key") if signed else None).publish_defaults()


@pytest.fixture
def options() -> VerifyOptions:
    return VerifyOptions(allow_private_network=True, cache=DocumentCache(), timeout=3, total_timeout=6)
