"""Access to the data files the library ships: JSON Schemas and JSON-LD contexts.

In a source checkout (and an editable install) they live in the top-level ``schemas/`` folder; a wheel
carries the same folder as ``openbadges_core/_data``. Nothing is ever downloaded.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir() -> Path:
    """The folder holding ``ob2/``, ``ob3/`` and ``contexts/``."""
    for candidate in (_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("openbadges_core data files (schemas/) are missing from this installation")


def data_path(*parts: str) -> Path:
    """Path of a shipped data file, e.g. ``data_path("ob2", "assertion.schema.json")``."""
    return data_dir().joinpath(*parts)


@cache
def load_json(*parts: str) -> Any:
    """Parsed content of a shipped JSON file (cached; treat the result as read-only)."""
    with data_path(*parts).open("rb") as fh:
        return json.load(fh)
