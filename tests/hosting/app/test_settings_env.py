"""``Settings.from_env``: every setting's variable, how each kind of value is read, and what is refused."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from hosting.app.settings import Settings, SettingsError

SECRET = {"OPENBADGES_SECRET_KEY": "k" * 32}

# every variable, set to a value other than its default
EVERY_VARIABLE = {
    "OPENBADGES_DATABASE_URL": "postgresql+asyncpg://u@h/db", "OPENBADGES_BASE_URL": "https://b.example.org/",
    "OPENBADGES_SECRET_KEY": "s" * 20, "OPENBADGES_ENV": " Staging ", "OPENBADGES_ACCESS_LOG": "off",
    "OPENBADGES_DEBUG": "YES", "OPENBADGES_ASSERTION_MAX_AGE": "1", "OPENBADGES_DOCUMENT_MAX_AGE": "2",
    "OPENBADGES_IMAGE_MAX_AGE": "3", "OPENBADGES_MAX_IMAGE_BYTES": "4", "OPENBADGES_BODY_TIMEOUT": "5.5",
    "OPENBADGES_ALLOW_PRIVATE_IMAGE_URLS": "on", "OPENBADGES_OAUTH_ALLOW_HTTP": "true",
    "OPENBADGES_DB_POOL_SIZE": "6", "OPENBADGES_DB_CONNECT_TIMEOUT": "7.5",
    "OPENBADGES_DB_STATEMENT_TIMEOUT": "8", "OPENBADGES_DB_POOL_TIMEOUT": "9",
    "OPENBADGES_DB_BUSY_TIMEOUT": "0", "OPENBADGES_READINESS_TIMEOUT": "1.25",
    "OPENBADGES_PUBLIC_CACHE_SECONDS": "11", "OPENBADGES_PUBLIC_CACHE_ENTRIES": "12",
    "OPENBADGES_SMTP_HOST": "mail.example.org", "OPENBADGES_SMTP_PORT": "2525",
    "OPENBADGES_SMTP_TLS": " None ", "OPENBADGES_SMTP_USERNAME": "u", "OPENBADGES_SMTP_PASSWORD": "p",
    "OPENBADGES_SMTP_FROM": "a@b.c", "OPENBADGES_SMTP_TIMEOUT": "13", "OPENBADGES_NOTIFY_POLL_SECONDS": "14",
    "OPENBADGES_NOTIFY_RETRY_SECONDS": "15", "OPENBADGES_NOTIFY_MAX_ATTEMPTS": "16",
    "OPENBADGES_NOTIFY_LEASE_SECONDS": "17", "OPENBADGES_ACCEPT_TOKEN_DAYS": "18",
    "OPENBADGES_EARNER_PAGES_PER_IP_MINUTE": "19", "OPENBADGES_CLAIMS_PER_CODE_MINUTE": "20",
    "OPENBADGES_OAUTH_LOGIN_ATTEMPTS": "21",
}


def test_every_setting_is_read_from_its_variable(tmp_path: Path) -> None:
    s = Settings.from_env(EVERY_VARIABLE, cwd=tmp_path)
    assert s == Settings(
        database_url="postgresql+asyncpg://u@h/db", base_url="https://b.example.org", secret_key="s" * 20,
        environment="staging", access_log=False, debug=True, assertion_max_age=1, document_max_age=2,
        image_max_age=3, max_image_bytes=4, body_timeout=5.5, allow_private_image_urls=True,
        oauth_allow_http=True, db_pool_size=6, db_connect_timeout=7.5, db_statement_timeout=8.0,
        db_pool_timeout=9.0, db_busy_timeout=0.0, readiness_timeout=1.25, public_cache_seconds=11,
        public_cache_entries=12, smtp_host="mail.example.org", smtp_port=2525, smtp_tls="none",
        smtp_username="u", smtp_password="p", smtp_from="a@b.c", smtp_timeout=13.0, notify_poll_seconds=14.0,
        notify_retry_seconds=15.0, notify_max_attempts=16, notify_lease_seconds=17.0, accept_token_days=18,
        earner_pages_per_ip_minute=19, claims_per_code_minute=20, oauth_login_attempts=21)
    assert len(EVERY_VARIABLE) == len(fields(Settings))


def test_empty_variables_mean_the_defaults(tmp_path: Path) -> None:
    empty = {name: "" for name in EVERY_VARIABLE if name != "OPENBADGES_SECRET_KEY"}
    defaults = Settings(secret_key=SECRET["OPENBADGES_SECRET_KEY"])
    assert Settings.from_env({**empty, **SECRET}, cwd=tmp_path) == defaults


def _refusal(name: str, value: str, tmp_path: Path) -> str:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**SECRET, name: value}, cwd=tmp_path)
    return str(caught.value)


# OPENBADGES_PUBLIC_CACHE_SECONDS is a whole number of seconds, unlike the other durations
@pytest.mark.parametrize("name", ["OPENBADGES_ASSERTION_MAX_AGE", "OPENBADGES_SMTP_PORT",
                                  "OPENBADGES_PUBLIC_CACHE_SECONDS"])
def test_a_count_must_be_an_integer(name: str, tmp_path: Path) -> None:
    assert _refusal(name, "1.5", tmp_path) == f"{name} must be an integer, got '1.5'"


@pytest.mark.parametrize("name", ["OPENBADGES_DB_POOL_SIZE", "OPENBADGES_PUBLIC_CACHE_SECONDS"])
def test_a_count_must_not_be_negative(name: str, tmp_path: Path) -> None:
    assert _refusal(name, "-1", tmp_path) == f"{name} must not be negative"


def test_a_duration_must_be_a_number_of_seconds(tmp_path: Path) -> None:
    assert _refusal("OPENBADGES_BODY_TIMEOUT", "soon", tmp_path) == (
        "OPENBADGES_BODY_TIMEOUT must be a number of seconds, got 'soon'")


@pytest.mark.parametrize("value", ["\u0663", "1_000", "\u00b2", "+5", "0x10"])
def test_a_count_is_written_in_ascii_digits(value: str, tmp_path: Path) -> None:
    """int() read "٣" as 3 and "1_000" as 1000 ("²" it refused): a count is ASCII digits only."""
    name = "OPENBADGES_DB_POOL_SIZE"
    assert _refusal(name, value, tmp_path) == f"{name} must be an integer, got {value!r}"


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "1e999", "\u0661\u0660", "1_0", "0x10"])
def test_a_duration_is_a_finite_number_in_ascii_digits(value: str, tmp_path: Path) -> None:
    """float() read all of these; "nan" passed every "must be positive" check (nan <= 0 is false)."""
    name = "OPENBADGES_BODY_TIMEOUT"
    assert _refusal(name, value, tmp_path) == f"{name} must be a number of seconds, got {value!r}"


@pytest.mark.parametrize(("raw", "seconds"), [("20", 20.0), (" 0.5 ", 0.5), (".25", 0.25), ("2.", 2.0), ("1e1", 10.0)])
def test_durations_and_counts_still_read(raw: str, seconds: float, tmp_path: Path) -> None:
    settings = Settings.from_env({**SECRET, "OPENBADGES_BODY_TIMEOUT": raw, "OPENBADGES_DB_POOL_SIZE": " 007 "},
                                 cwd=tmp_path)
    assert settings.body_timeout == seconds
    assert settings.db_pool_size == 7


def test_a_blank_smtp_tls_mode_is_refused(tmp_path: Path) -> None:
    assert _refusal("OPENBADGES_SMTP_TLS", " ", tmp_path) == (
        "OPENBADGES_SMTP_TLS must be one of none, starttls, tls: ''")


def test_a_blank_environment_means_development(tmp_path: Path) -> None:
    assert Settings.from_env({**SECRET, "OPENBADGES_ENV": "  "}, cwd=tmp_path).environment == "development"
