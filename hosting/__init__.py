"""hosting: a Litestar service that hosts Open Badges 2.0 documents and images.

Public names: :func:`create_app` and :class:`Settings`; the console script is ``openbadges-server``.
They are imported on first use, so ``import hosting.app.entry`` (the console script) works without the
server's dependencies and can say which extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hosting.app.factory import create_app
    from hosting.app.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from hosting.app.factory import create_app

        return create_app
    if name in {"Settings", "SettingsError"}:
        from hosting.app import settings

        return getattr(settings, name)
    raise AttributeError(f"module 'hosting' has no attribute {name!r}")
