"""Helpers for tests that need badge classes made through the issuer API (``/v1/issuers/{issuer}/badges``)."""

from __future__ import annotations

import base64
from typing import Any

from _api_support import bearer

from hosting.app.demo import DEMO_SVG, demo_png

PNG = demo_png(size=16)
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(PNG).decode()
SVG_DATA_URI = "data:image/svg+xml;base64," + base64.b64encode(DEMO_SVG).decode()


def badge_body(**fields: Any) -> dict[str, Any]:
    """A valid create body (a PNG as data URI, a narrative), overridden by ``fields``."""
    return {"name": "Gold Star", "description": "For shining.", "image": PNG_DATA_URI,
            "criteria": {"narrative": "Shine."}, **fields}


def new_badge(api: Any, token: str, issuer_ref: str, **fields: Any) -> dict[str, Any]:
    """Create a badge class through the API and return its JSON."""
    res = api.post(f"/v1/issuers/{issuer_ref}/badges", json=badge_body(**fields), headers=bearer(token))
    assert res.status_code == 201, res.text
    badge: dict[str, Any] = res.json()["badge"]
    return badge
