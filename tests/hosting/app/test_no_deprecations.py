"""Building the app uses no deprecated Litestar/SQLAlchemy API: every handler and dependency provider declares
its parameters explicitly (``NamedDependency``, ``FromPath``, ``FromQuery``/``QueryParameter``), which Litestar
checks once, when the app is built. Litestar 3.0 drops the inferred styles, so a warning here is a future break."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

from litestar.testing import TestClient

from hosting.app.factory import create_app
from hosting.app.settings import Settings


def _deprecations(settings: Settings) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app(settings)
        # The OpenAPI document walks every handler's parameters once more.
        with TestClient(app) as client:
            assert client.get("/schema/openapi.json").status_code == 200
    return [f"{w.category.__name__}: {w.message}" for w in caught if issubclass(w.category, DeprecationWarning)]


def test_building_the_app_warns_of_no_deprecated_api(settings: Settings) -> None:
    assert _deprecations(settings) == []


def test_badgr_and_oauth_routes_warn_of_no_deprecated_api(settings: Settings) -> None:
    assert _deprecations(dataclasses.replace(settings, oauth_allow_http=True)) == []


def test_the_check_sees_an_inferred_parameter() -> None:
    """The guard is live: a handler with an inferred dependency and query parameter is reported."""
    from litestar import Litestar, get
    from litestar.di import Provide

    @get("/probe", dependencies={"dep": Provide(lambda: 1, sync_to_thread=False)}, sync_to_thread=False)
    def probe(dep: int, q: str) -> dict[str, Any]:
        return {"dep": dep, "q": q}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Litestar(route_handlers=[probe])
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert any("Inferred dependency field 'dep'" in m for m in messages)
    assert any("query parameter 'q'" in m for m in messages)
