"""Every table of the app (importing this package registers them all on ``Base.metadata`` for Alembic).

``hosted``: issuers, badge classes, assertions, keys, images; ``api``: API tokens, staff roles, deleted issuers;
``outbox``: the notification outbox; ``accounts``: users and the OAuth2 server's clients, tokens and codes;
``earners``: accept tokens and claim codes; ``signals``: the ``public_changes`` counter (cache invalidation).
"""

from __future__ import annotations

from hosting.storage.models.accounts import OAuthClient, OAuthCode, OAuthToken, User
from hosting.storage.models.api import ApiToken, DeletedIssuer, Role, StaffRole
from hosting.storage.models.badgekit import BadgeKitKey, BadgeKitProgram
from hosting.storage.models.base import NAMING, Base, utcnow
from hosting.storage.models.earners import AcceptToken, ClaimCode
from hosting.storage.models.hosted import (
    Acceptance,
    Assertion,
    AssertionState,
    BadgeClass,
    Issuer,
    KeyState,
    Renderable,
    SigningKey,
    StoredImage,
)
from hosting.storage.models.outbox import NotificationKind, OutboxMessage, OutboxStatus
from hosting.storage.models.signals import PublicChanges

__all__ = [
    "NAMING",
    "AcceptToken",
    "Acceptance",
    "ApiToken",
    "Assertion",
    "AssertionState",
    "BadgeClass",
    "BadgeKitKey",
    "BadgeKitProgram",
    "Base",
    "ClaimCode",
    "DeletedIssuer",
    "Issuer",
    "KeyState",
    "NotificationKind",
    "OAuthClient",
    "OAuthCode",
    "OAuthToken",
    "OutboxMessage",
    "OutboxStatus",
    "PublicChanges",
    "Renderable",
    "Role",
    "SigningKey",
    "StaffRole",
    "StoredImage",
    "User",
    "utcnow",
]
