"""The Jinja environment of the public pages, and the small formatting helpers the page contexts share."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader

from hosting.lib.times import aware

__all__ = ["date_text", "render", "safe_url"]

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Every template is HTML: autoescape everything (issuer-supplied names, narratives and evidence are hostile input).
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context: Any) -> bytes:
    """``template`` rendered with ``context``, as UTF-8 bytes."""
    return _env.get_template(template).render(**context).encode()


def date_text(moment: datetime) -> str:
    """A date for people: ``3 December 2026``."""
    value = aware(moment)
    return f"{value.day} {value.strftime('%B %Y')}"


def safe_url(value: Any) -> str | None:
    """``value`` when it is an absolute http(s) URL, else None: a link on a page never runs a scheme such as
    ``javascript:`` or ``data:``, whatever an issuer stored."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value.strip()
