"""The issuer API (``/v1``): the controllers :func:`hosting.create_app` mounts for ``openbadges-server run``.

So far: bearer-token auth with scopes, issuers (``/v1/issuers``) and their staff roles. See ``docs/hosting.md``.
"""

from __future__ import annotations

from typing import Any

from hosting._api_issuers import IssuersController
from hosting._api_staff import StaffController

__all__ = ["api_route_handlers"]


def api_route_handlers() -> list[Any]:
    """Route handlers of the issuer API, for ``create_app(settings, route_handlers=...)``."""
    return [IssuersController, StaffController]
