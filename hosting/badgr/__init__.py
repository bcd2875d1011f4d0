"""Badgr's v2 API (``/v2``) over the same services as ``/v1``; see ``docs/compat-badgr.md``."""
