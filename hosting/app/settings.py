"""Settings of the hosting app, read from ``OPENBADGES_*`` environment variables."""

from __future__ import annotations

import logging
import math
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from hosting.lib.db import DbLimits
from hosting.lib.numbers import ascii_int

__all__ = ["Settings", "SettingsError"]

_log = logging.getLogger("hosting")

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///openbadges.db"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
SECRET_FILE = ".openbadges-secret"
SMTP_TLS_MODES = ("none", "starttls", "tls")
_SECONDS = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")  # ASCII digits, as float() reads them


class SettingsError(RuntimeError):
    """The environment does not describe a usable configuration."""


# How a variable's value (never empty: an empty variable means the default) becomes a setting; a reader
# refuses a bad value with a SettingsError naming the variable.
_Reader = Callable[[str, str], Any]


def _read_text(name: str, raw: str) -> str:
    return raw


def _read_word(name: str, raw: str) -> str:
    return raw.strip().lower()


def _read_flag(name: str, raw: str) -> bool:
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _read_count(name: str, raw: str) -> int:
    text = raw.strip()
    value = ascii_int(text.removeprefix("-"))  # int() also read "٣" as 3 and "1_000" as 1000
    if value is None:
        raise SettingsError(f"{name} must be an integer, got {raw!r}")
    if text.startswith("-") and value:
        raise SettingsError(f"{name} must not be negative")
    return value


def _read_optional_count(name: str, raw: str) -> int | None:
    return _read_count(name, raw) or None


def _read_seconds(name: str, raw: str) -> float:
    # not float() alone: it also reads "nan" (which no "<= 0" check refuses), "inf", "١٠" and "1_0"
    value = float(raw) if _SECONDS.fullmatch(raw.strip()) else math.nan
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}")
    return value


# The reader of a setting of each type; a field may name another in its metadata (``{"read": reader}``).
_READERS: dict[object, _Reader] = {
    str: _read_text, str | None: _read_text, bool: _read_flag, int: _read_count,
    int | None: _read_optional_count, float: _read_seconds,
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app needs; build it with :meth:`from_env` or directly in tests.

    :meth:`from_env` reads each field from ``OPENBADGES_`` + its name in upper case (``db_pool_size`` from
    ``OPENBADGES_DB_POOL_SIZE``), as its type says (or as its ``read`` metadata says); ``environment`` comes
    from ``OPENBADGES_ENV``.

    ``secret_key`` encrypts stored private keys (Fernet, key derived with HKDF-SHA256).
    Email notifications are off while ``smtp_host`` is ``None``; ``smtp_port`` ``None`` means the usual port
    for ``smtp_tls`` (``tls`` 465, ``starttls`` 587, ``none`` 25).
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
    # A writing request's whole body must arrive within this many seconds (408 otherwise): read before the
    # handler runs, so a client dripping its body never holds a database lock.
    body_timeout: float = 20.0
    # The issuer API fetches image URLs; loopback/private addresses only when this is on (tests, intranets).
    allow_private_image_urls: bool = False
    # OAuth2 over plain http (Authlib refuses it on a non-loopback base URL): only behind a TLS-terminating
    # proxy that forwards plain http, or in tests.
    oauth_allow_http: bool = False
    db_pool_size: int = 10
    # Seconds the app waits on the database before answering 503 (docs/operations.md).
    db_connect_timeout: float = 5.0
    db_statement_timeout: float = 10.0
    db_pool_timeout: float = 5.0
    db_busy_timeout: float = 5.0
    readiness_timeout: float = 3.0
    public_cache_seconds: float = field(default=10.0, metadata={"read": _read_count})  # whole seconds
    public_cache_entries: int = 100_000
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_tls: str = field(default="starttls", metadata={"read": _read_word})
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str | None = None
    smtp_timeout: float = 30.0
    notify_poll_seconds: float = 10.0
    notify_retry_seconds: float = 60.0
    notify_max_attempts: int = 8
    # A sender's claim on a batch; renewed by a heartbeat while it works, so a crashed sender's rows
    # come due again this soon.
    notify_lease_seconds: float = 30.0
    # Earners (hosting/earners): accept links live this many days; the public /accept and /claim pages take at
    # most this many requests a minute per client IP, and claims of one code at most this many a minute
    # (per process: docs/operations.md).
    accept_token_days: int = 30
    earner_pages_per_ip_minute: int = 30
    claims_per_code_minute: int = 10
    # OAuth2 (hosting/oauth): failed password logins (/o/token's password grant, the consent page) of one
    # account in 15 minutes before its password logins are refused (429) until the window ends (per process).
    oauth_login_attempts: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not self.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"OPENBADGES_BASE_URL must start with http:// or https://: {self.base_url!r}")
        if len(self.secret_key) < 16:
            raise SettingsError("the key-encryption secret must be at least 16 characters")
        if self.smtp_tls not in SMTP_TLS_MODES:
            raise SettingsError(f"OPENBADGES_SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}: {self.smtp_tls!r}")
        if self.smtp_host and not self.smtp_from:
            raise SettingsError("OPENBADGES_SMTP_FROM is required when OPENBADGES_SMTP_HOST is set")
        if self.notify_max_attempts < 1:
            raise SettingsError("OPENBADGES_NOTIFY_MAX_ATTEMPTS must be at least 1")
        if min(self.db_connect_timeout, self.db_statement_timeout, self.db_pool_timeout,
               self.readiness_timeout) <= 0 or self.db_busy_timeout < 0:
            raise SettingsError("database timeouts must be positive")
        if min(self.notify_poll_seconds, self.notify_retry_seconds, self.smtp_timeout,
               self.notify_lease_seconds) <= 0:
            raise SettingsError("notification intervals and the SMTP timeout must be positive")
        if self.body_timeout <= 0:
            raise SettingsError("OPENBADGES_BODY_TIMEOUT must be positive")
        if min(self.accept_token_days, self.earner_pages_per_ip_minute, self.claims_per_code_minute,
               self.oauth_login_attempts) < 1:
            raise SettingsError("OPENBADGES_ACCEPT_TOKEN_DAYS, the earner page rate limits and "
                                "OPENBADGES_OAUTH_LOGIN_ATTEMPTS must be at least 1")

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def db_limits(self) -> DbLimits:
        return DbLimits(connect_timeout=self.db_connect_timeout, statement_timeout=self.db_statement_timeout,
                        pool_timeout=self.db_pool_timeout, busy_timeout=self.db_busy_timeout)

    @property
    def notifications_enabled(self) -> bool:
        """Whether queued notifications are delivered (an SMTP host is configured)."""
        return bool(self.smtp_host)

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or {"tls": 465, "starttls": 587}.get(self.smtp_tls, 25)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, cwd: Path | None = None) -> Settings:
        """Read the settings from ``environ`` (default ``os.environ``).

        ``OPENBADGES_DATABASE_URL``, ``OPENBADGES_SECRET_KEY`` and ``OPENBADGES_SMTP_PASSWORD`` may instead be
        read from a file named by the same variable with ``_FILE`` appended (Docker/Kubernetes secrets).
        ``OPENBADGES_SECRET_KEY`` is required when ``OPENBADGES_ENV=production``. Elsewhere, when it is unset,
        a random secret is generated once, kept in ``.openbadges-secret`` (mode 0600) in the working
        directory and reused, with a warning: losing that file makes stored private keys unreadable.
        """
        env = _with_secret_files(os.environ if environ is None else environ)
        environment = env.get("OPENBADGES_ENV", "development").strip().lower() or "development"
        secret = env.get("OPENBADGES_SECRET_KEY", "")
        if not secret:
            if environment == "production":
                raise SettingsError("OPENBADGES_SECRET_KEY must be set when OPENBADGES_ENV=production")
            secret = _development_secret((cwd or Path.cwd()) / SECRET_FILE)

        given: dict[str, Any] = {"secret_key": secret, "environment": environment}
        types = get_type_hints(cls)
        for setting in fields(cls):
            name = f"OPENBADGES_{setting.name.upper()}"
            if setting.name not in given and (raw := env.get(name)):
                given[setting.name] = setting.metadata.get("read", _READERS[types[setting.name]])(name, raw)
        return cls(**given)


SECRET_FILE_SETTINGS = ("OPENBADGES_DATABASE_URL", "OPENBADGES_SECRET_KEY", "OPENBADGES_SMTP_PASSWORD")


def _with_secret_files(env: Mapping[str, str]) -> Mapping[str, str]:
    """``env`` with each ``NAME_FILE`` of :data:`SECRET_FILE_SETTINGS` replaced by the file's content (one
    trailing newline dropped). Setting both ``NAME`` and ``NAME_FILE`` is an error."""
    loaded: dict[str, str] = {}
    for name in SECRET_FILE_SETTINGS:
        file = env.get(f"{name}_FILE")
        if not file:
            continue
        if env.get(name):
            raise SettingsError(f"set {name} or {name}_FILE, not both")
        try:
            loaded[name] = Path(file).read_text(encoding="utf-8").removesuffix("\n").removesuffix("\r")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{name}_FILE: cannot read {file}: {getattr(exc, 'strerror', None) or exc}") from exc
        if not loaded[name] and name != "OPENBADGES_SMTP_PASSWORD":  # an empty SMTP password file: none
            raise SettingsError(f"{name}_FILE: {file} is empty")
    return {**env, **loaded} if loaded else env


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
