"""Settings of the hosting app, read from ``OPENBADGES_*`` environment variables."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings", "SettingsError"]

_log = logging.getLogger("hosting")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///openbadges.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
SECRET_FILE = ".openbadges-secret"


class SettingsError(RuntimeError):
    """The environment does not describe a usable configuration."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs; build it with :meth:`from_env` or directly in tests.

    ``secret_key`` encrypts stored private keys (Fernet, key derived with HKDF-SHA256).
    """

    database_url: str = DEFAULT_DATABASE_URL
    base_url: str = DEFAULT_BASE_URL
    secret_key: str = field(default="", repr=False)
    environment: str = "development"
    access_log: bool = True
    debug: bool = False
    assertion_max_age: int = 60
    document_max_age: int = 300
    image_max_age: int = 86400
    max_image_bytes: int = 2 * 1024 * 1024
    db_pool_size: int = 10
    public_cache_seconds: float = 10.0
    public_cache_entries: int = 100_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not self.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"OPENBADGES_BASE_URL must start with http:// or https://: {self.base_url!r}")
        if len(self.secret_key) < 16:
            raise SettingsError("the key-encryption secret must be at least 16 characters")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``).

        ``OPENBADGES_SECRET_KEY`` is required when ``OPENBADGES_ENV=production``. Elsewhere, when it is unset,
        a random secret is generated once, kept in ``.openbadges-secret`` (mode 0600) in the working
        directory and reused, with a warning: losing that file makes stored private keys unreadable.
        """
        env = os.environ if environ is None else environ
        environment = env.get("OPENBADGES_ENV", "development").strip().lower() or "development"
        secret = env.get("OPENBADGES_SECRET_KEY", "")
        if not secret:
            if environment == "production":
                raise SettingsError("OPENBADGES_SECRET_KEY must be set when OPENBADGES_ENV=production")
            secret = _development_secret((cwd or Path.cwd()) / SECRET_FILE)

        def _int(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except ValueError as exc:
                raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
            if value < 0:
                raise SettingsError(f"{name} must not be negative")
            return value

        return cls(
            database_url=env.get("OPENBADGES_DATABASE_URL") or DEFAULT_DATABASE_URL,
            base_url=env.get("OPENBADGES_BASE_URL") or DEFAULT_BASE_URL,
            secret_key=secret,
            environment=environment,
            access_log=_flag(env.get("OPENBADGES_ACCESS_LOG"), True),
            debug=_flag(env.get("OPENBADGES_DEBUG"), False),
            assertion_max_age=_int("OPENBADGES_ASSERTION_MAX_AGE", 60),
            document_max_age=_int("OPENBADGES_DOCUMENT_MAX_AGE", 300),
            image_max_age=_int("OPENBADGES_IMAGE_MAX_AGE", 86400),
            max_image_bytes=_int("OPENBADGES_MAX_IMAGE_BYTES", 2 * 1024 * 1024),
            db_pool_size=_int("OPENBADGES_DB_POOL_SIZE", 10),
            public_cache_seconds=_int("OPENBADGES_PUBLIC_CACHE_SECONDS", 10),
            public_cache_entries=_int("OPENBADGES_PUBLIC_CACHE_ENTRIES", 100_000),
        )


def _development_secret(path: Path) -> str:
    if path.is_file():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    _log.warning(
        "OPENBADGES_SECRET_KEY is not set: generated a development secret in %s "
        "(set OPENBADGES_SECRET_KEY in production; losing this file makes stored private keys unreadable)",
        path,
    )
    return secret
