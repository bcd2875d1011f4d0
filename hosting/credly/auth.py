"""Who calls the Credly API: HTTP Basic with the server's API token (``obt_…``) as the user name and an empty
password, as Credly's clients send it. The token's scopes apply as on ``/v1`` (``issuer:read`` to read,
``assertion:write`` to write); its user's role on the organisation (issuer) is checked by the shared lookups."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar import Request

from hosting.api.auth import Principal, token_principal
from hosting.api.deps import Db
from hosting.lib.errors import NotAuthenticated

__all__ = ["provide_credly_principal"]

_PREFIX = "obt_"


def _basic_token(header: str) -> str:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise NotAuthenticated("missing HTTP Basic credentials (the API token as the user name)")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise NotAuthenticated("malformed HTTP Basic credentials") from None
    token, _, _password = decoded.partition(":")  # Credly's clients send an empty password; it is ignored
    if not token.startswith(_PREFIX) or len(token) > 200:
        raise NotAuthenticated("invalid token")
    return token


async def provide_credly_principal(request: Request[Any, Any, Any], db_session: Db) -> Principal:
    """Litestar dependency: 401 without a valid, unexpired, unrevoked token; 403 without the route's scope."""
    return await token_principal(request, db_session, _basic_token(request.headers.get("authorization", "")))
