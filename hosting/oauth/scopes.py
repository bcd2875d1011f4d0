"""Badgr's OAuth2 scopes, what each allows on ``/v2``, and the one table mapping them onto ``/v1`` scopes.

=====================  ===============================================  ==========================================
Badgr scope            ``/v2``                                          ``/v1`` scopes it carries
=====================  ===============================================  ==========================================
``rw:issuer``          every issuer the user holds a role on; create    ``issuer:read issuer:write assertion:write``
``rw:issuer:<id>``     only issuer ``<id>`` (still within the role)     the same, restricted to issuer ``<id>``
``r:profile``          ``GET /v2/users/self``, ``GET /v2/auth/tokens``  none
``rw:profile``         the same                                         none
``r:backpack``         (no backpack here)                               none
``rw:backpack``        (no backpack here)                               none
``rw:serverAdmin``     every issuer (granted to admin users only)       ``admin``
=====================  ===============================================  ==========================================

A role is always needed as well: a scope never grants more than the user's owner/editor/staff role allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["BADGR_SCOPES", "GRANT_TYPES", "ISSUER_SCOPE", "V1_SCOPES", "is_valid_scope", "issuer_restriction",
           "parse_scopes", "v1_scopes"]

ISSUER_SCOPE = "rw:issuer"
ADMIN_SCOPE = "rw:serverAdmin"
PROFILE_SCOPES = ("r:profile", "rw:profile")
BADGR_SCOPES = ("rw:profile", "r:profile", "rw:issuer", "rw:backpack", "r:backpack", "rw:serverAdmin")
GRANT_TYPES = ("password", "refresh_token", "authorization_code", "client_credentials")
_ISSUER_WRITE = ("issuer:read", "issuer:write", "assertion:write")
V1_SCOPES: dict[str, tuple[str, ...]] = {
    "rw:issuer": _ISSUER_WRITE,
    "rw:issuer:<id>": _ISSUER_WRITE,
    "r:profile": (),
    "rw:profile": (),
    "r:backpack": (),
    "rw:backpack": (),
    "rw:serverAdmin": ("admin",),
}
DESCRIPTIONS = {
    "rw:issuer": "Award badges and update your issuers",
    "rw:issuer:<id>": "Award badges and update one issuer",
    "r:profile": "See your name and email",
    "rw:profile": "See and change your profile",
    "r:backpack": "See your backpack (not offered here)",
    "rw:backpack": "Change your backpack (not offered here)",
    "rw:serverAdmin": "Administer this server (admin users only)",
}
_ISSUER_ONE = re.compile(r"^rw:issuer:([A-Za-z0-9_-]{1,64})$")


def is_valid_scope(scope: str) -> bool:
    return scope in BADGR_SCOPES or _ISSUER_ONE.match(scope) is not None


def parse_scopes(text: str | Iterable[str], *, allow_templates: bool = False) -> list[str]:
    """Split a space- (or comma-) separated scope string; unknown scopes raise ``ValueError``."""
    items = text.replace(",", " ").split() if isinstance(text, str) else list(text)
    out: list[str] = []
    for scope in items:
        if not is_valid_scope(scope):
            raise ValueError(f"unknown scope {scope!r} (known: {', '.join(BADGR_SCOPES)}, rw:issuer:<entityId>)")
        if scope not in out:
            out.append(scope)
    return out


def issuer_restriction(scopes: Iterable[str]) -> frozenset[str] | None:
    """``None`` when the scopes reach every issuer of the user (``rw:issuer``, ``rw:serverAdmin``); else the
    entity ids ``rw:issuer:<id>`` names (empty: no issuer at all)."""
    scopes = list(scopes)
    if ISSUER_SCOPE in scopes or ADMIN_SCOPE in scopes:
        return None
    return frozenset(m.group(1) for s in scopes if (m := _ISSUER_ONE.match(s)))


def v1_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The ``/v1`` scopes a set of Badgr scopes carries (the module's table)."""
    out: set[str] = set()
    for scope in scopes:
        key = "rw:issuer:<id>" if _ISSUER_ONE.match(scope) else scope
        out.update(V1_SCOPES.get(key, ()))
    return frozenset(out)


def allowed_by_client(scope: str, client_scopes: Iterable[str]) -> bool:
    """A client registered with ``rw:issuer`` may ask for the narrower ``rw:issuer:<id>``."""
    allowed = set(client_scopes)
    return scope in allowed or (_ISSUER_ONE.match(scope) is not None and ISSUER_SCOPE in allowed)
