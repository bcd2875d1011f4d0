"""The issuer API (``/v1``): the controllers :func:`hosting.create_app` mounts for ``openbadges-server run``.

Each area lives in its own module and exports ``ROUTE_HANDLERS``; this module only collects them.
See ``docs/hosting.md`` and the OpenAPI document at ``/schema/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from hosting import (
    _api_assertions,
    _api_badges,
    _api_issuers,
    _api_keys,
    _api_listing,
    _api_staff,
)

__all__ = ["api_route_handlers"]

# Order matters once: _api_listing's plain GET handler shares its path with _api_assertions' controller, and
# Litestar accepts a handler function after a controller on one path, not before it.
_AREAS = (_api_issuers, _api_staff, _api_keys, _api_badges, _api_assertions, _api_listing)


def api_route_handlers() -> list[Any]:
    """Route handlers of the issuer API, for ``create_app(settings, route_handlers=...)``."""
    return [handler for area in _AREAS for handler in area.ROUTE_HANDLERS]
