"""URL normalisation for trust comparisons (issue #13): one helper, used before every prefix or origin check.

HTTP clients and servers resolve ``.``/``..`` path segments (RFC 3986 §5.2.4) — and many servers also
decode ``%2e`` first — so ``https://h/users/alice/../mallory/k`` *is* ``https://h/users/mallory/k``. A
string-prefix check on the raw text would call that "under alice". Every comparison of one URL against
another (kid under issuer id, did:web paths, hosted scope, ``startsWith``) goes through here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

__all__ = ["is_under", "normalize_url", "origin_of", "remove_dot_segments", "starts_with"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = re.compile(r"%(2[dDeE]|5[fF]|7[eE]|[46][1-9a-fA-F]|[57][0-9aA]|3[0-9])")
#: encodings of "/" and "\" in a path: servers disagree on whether they separate segments
_AMBIGUOUS = re.compile(r"%(2[fF]|5[cC])|\\")


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 ``remove_dot_segments``."""
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if path.startswith("/") and not result.startswith("/"):
        result = "/" + result
    return result


def _decode_unreserved(text: str) -> str:
    return _UNRESERVED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _normalize(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not scheme or not host or _AMBIGUOUS.search(parts.path):
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{port}"
    path = remove_dot_segments(_decode_unreserved(parts.path)) or "/"
    return urlunsplit((scheme, netloc, path, parts.query, parts.fragment))


_normalize_memo = lru_cache(maxsize=2048)(_normalize)  # the same issuer and key URLs recur; ≤ 2048 x 2 KiB


def normalize_url(url: str) -> str | None:
    """``url`` as an HTTP client would request it: scheme and host lower-cased, default port dropped,
    percent-encoded unreserved characters (``%2e`` …) decoded, dot segments removed.

    ``None`` when ``url`` is not an absolute URL with a host, or when its path holds an encoded
    ``/`` or ``\\`` (servers split those differently, so no prefix check can be trusted on it).
    """
    if not isinstance(url, str) or len(url) > 65536:
        return None
    return _normalize_memo(url) if len(url) <= 2048 else _normalize(url)


def origin_of(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of ``url`` (default port filled in), or ``None``."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def is_under(url: str, base: str) -> bool:
    """Whether ``url`` (normalised) is ``base`` or lies below it as a path (``base`` + ``/`` …).

    Both are normalised first; ``https://h/users/alice/../mallory`` is not under ``https://h/users/alice``.
    """
    target, root = normalize_url(url), normalize_url(base)
    if target is None or root is None:
        return False
    if target == root:
        return True
    return target.startswith(root.rstrip("/") + "/")


def starts_with(url: str, prefix: str) -> bool:
    """A ``startsWith`` policy check on normalised forms (the prefix may end mid-segment, as OB 2.0
    allows: ``https://h/badges/a`` matches ``https://h/badges/abc``)."""
    target = normalize_url(url)
    if target is None:
        return False
    root = normalize_url(prefix)  # a bare origin "https://h" becomes "https://h/" (not "https://h.evil")
    return root is not None and target.startswith(root)
