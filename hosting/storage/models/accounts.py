"""User accounts and the OAuth2 authorization server's state (migration 0007): clients, tokens, codes.

Passwords are Argon2id hashes; client secrets, access/refresh tokens and authorization codes are high-entropy
random strings stored as their SHA-256 (as the ``/v1`` API tokens), so a database leak leaks nothing usable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hosting.lib.ids import new_public_id
from hosting.storage.models.base import Base, utcnow

__all__ = ["OAuthClient", "OAuthCode", "OAuthToken", "User"]


class User(Base):
    """An account. ``email`` is stored normalised (stripped, lower case): unique case-insensitively. Roles on
    issuers are the ``issuer_staff`` rows naming this email."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_public_id)  # Badgr's entityId
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    first_name: Mapped[str] = mapped_column(String(255), default="")
    last_name: Mapped[str] = mapped_column(String(255), default="")
    admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OAuthClient(Base):
    """A registered OAuth2 client. Public clients have no secret (PKCE required for the code grant);
    ``user_id`` is whom a ``client_credentials`` token acts for."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    name: Mapped[str] = mapped_column(String(255), default="")
    redirect_uris: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    grant_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OAuthToken(Base):
    """An access token and (usually) its refresh token. A refresh makes a new row in the same ``family`` and
    marks this one ``rotated_at``; presenting a rotated refresh token again revokes the whole family."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True, default=None)
    family: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True,
                                                                default=None)
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)


class OAuthCode(Base):
    """An authorization code (single use, short-lived), with its PKCE challenge. ``family`` is that of the tokens
    it is exchanged for: a second exchange (a replayed code) revokes them (RFC 6749 section 4.1.2)."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    redirect_uri: Mapped[str] = mapped_column(String(2048), default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    code_challenge: Mapped[str | None] = mapped_column(String(128), nullable=True, default=None)
    code_challenge_method: Mapped[str | None] = mapped_column(String(16), nullable=True, default=None)
    family: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, default=None)
