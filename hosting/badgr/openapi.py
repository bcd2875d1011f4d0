"""The OAuth2 security scheme the ``/v2`` operations name in the OpenAPI document (authorization-code with
PKCE and password flows, Badgr's scopes)."""

from __future__ import annotations

from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme

from hosting.oauth.scopes import DESCRIPTIONS

__all__ = ["BADGR_COMPONENTS", "BADGR_SECURITY"]

OAUTH2 = "oauth2"
_SCOPES = {scope: text for scope, text in DESCRIPTIONS.items()}
BADGR_SECURITY: list[dict[str, list[str]]] = [{OAUTH2: ["rw:issuer"]}]
BADGR_COMPONENTS = Components(security_schemes={OAUTH2: SecurityScheme(
    type="oauth2",
    description="Badgr-compatible OAuth2 (docs/compat-badgr.md). Access tokens are also accepted on /v1.",
    flows=OAuthFlows(
        authorization_code=OAuthFlow(authorization_url="/o/authorize", token_url="/o/token",
                                     refresh_url="/o/token", scopes=_SCOPES),
        password=OAuthFlow(token_url="/o/token", refresh_url="/o/token", scopes=_SCOPES),
    ))})
