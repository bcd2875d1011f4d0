"""Public identifiers: random, URL-safe, unguessable."""

from __future__ import annotations

import re
import secrets

__all__ = ["is_public_id", "new_public_id"]

_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def new_public_id() -> str:
    """22 URL-safe characters carrying 128 random bits."""
    return secrets.token_urlsafe(16)


def is_public_id(value: str) -> bool:
    """Cheap shape check done before any database lookup (malformed ids are simply 404)."""
    return _PUBLIC_ID.match(value) is not None
