"""Fixtures for the Badgr v2 and OAuth2 tests: the app with OAuth2 over the test's plain-http base URL."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from hosting import Settings, create_app

sys.path.insert(0, str(Path(__file__).resolve().parent))  # _badgr_support

BASE_URL = "http://testserver.local"  # as tests/hosting/conftest.py


@pytest.fixture(scope="session")
def badgr_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, oauth_allow_http=True, allow_private_image_urls=False)


@pytest.fixture(scope="session")
def badgr(badgr_settings: Settings) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(badgr_settings), base_url=BASE_URL) as c:
        yield c
