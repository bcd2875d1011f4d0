"""Verification of Open Badges 2.0 and 3.0: any input in, a check-by-check report out."""

from __future__ import annotations

from openbadges_core._net import Fetcher, FetchResponse
from openbadges_core._verify._api import verify
from openbadges_core._verify._fetch import DocumentCache, SafeFetcher, is_public_address
from openbadges_core._verify._options import VerifyOptions, shared_cache
from openbadges_core._verify._registry import CheckName
from openbadges_core._verify._report import Check, CheckLevel, VerificationReport

__all__ = [
    "Check",
    "CheckLevel",
    "CheckName",
    "DocumentCache",
    "FetchResponse",
    "Fetcher",
    "SafeFetcher",
    "VerificationReport",
    "VerifyOptions",
    "is_public_address",
    "shared_cache",
    "verify",
]
