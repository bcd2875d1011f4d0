"""hosting: a Litestar service that hosts Open Badges 2.0 documents and images.

Public names: :func:`create_app` and :class:`Settings`; the console script is ``openbadges-server``.
"""

from __future__ import annotations

from hosting.app.factory import create_app
from hosting.app.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError", "create_app"]
