"""Issuer API: assertions (work in progress in this session; nothing is mounted yet)."""

from __future__ import annotations

from typing import Any

ROUTE_HANDLERS: list[Any] = []
