"""What a baked payload is: its kind (JSON, URL, JWS/JWT), its Open Badges version, and the result type."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from openbadges_core._baking._limits import BakingLimits
from openbadges_core._errors import BakingError
from openbadges_core._json import loads as json_loads

__all__ = [
    "KEYWORD_OB2",
    "KEYWORD_OB3",
    "KEYWORD_VERSIONS",
    "BakedPayload",
    "Format",
    "Kind",
    "PreparedPayload",
    "Version",
    "classify_kind",
    "prepare_payload",
]

Format = Literal["png", "svg"]
Version = Literal["2.0", "3.0"]
Kind = Literal["json", "url", "jws"]

KEYWORD_OB2 = "openbadges"
KEYWORD_OB3 = "openbadgecredential"
KEYWORD_VERSIONS: dict[str, Version] = {KEYWORD_OB2: "2.0", KEYWORD_OB3: "3.0"}

_JWS_RE = re.compile(r"[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]*={0,2}")
_URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_VC_CONTEXTS = frozenset({"https://www.w3.org/ns/credentials/v2", "https://www.w3.org/2018/credentials/v1"})
_VC_TYPES = frozenset({"VerifiableCredential", "OpenBadgeCredential", "AchievementCredential",
                       "EndorsementCredential"})


@dataclass(frozen=True, slots=True)
class BakedPayload:
    """A payload taken out of an image.

    ``payload`` is the text as baked (surrounding whitespace removed); ``format`` the image format;
    ``version`` the Open Badges version the image declares (PNG keyword or SVG namespace); ``kind``
    whether the payload is JSON, a hosted-assertion URL or a compact JWS/JWT.
    """

    payload: str
    format: Format
    version: Version
    kind: Kind

    def to_dict(self) -> dict[str, str]:
        """``{"payload", "format", "version", "kind"}`` — the ``openbadges unbake --json`` output."""
        return {"payload": self.payload, "format": self.format, "version": self.version, "kind": self.kind}


def classify_kind(text: str) -> Kind | None:
    """``json``, ``url`` or ``jws`` for a stripped payload text, ``None`` when it is none of those.

    Cheap on purpose (unbaking must not parse a 1 MiB JSON): JSON is recognised by its leading ``{``.
    """
    if text.startswith("{"):
        return "json"
    if _JWS_RE.fullmatch(text):
        return "jws"
    if _URL_RE.fullmatch(text):
        return "url"
    return None


@dataclass(frozen=True, slots=True)
class PreparedPayload:
    """A payload ready to bake: its text and UTF-8 bytes, kind, version, and (JSON) the parsed object."""

    text: str
    data: bytes
    kind: Kind
    version: Version
    document: Mapping[str, Any] | None

    @property
    def keyword(self) -> str:
        return KEYWORD_OB3 if self.version == "3.0" else KEYWORD_OB2


def prepare_payload(payload: str | bytes | Mapping[str, Any], keyword: str | None,
                    limits: BakingLimits) -> PreparedPayload:
    """Normalise what a caller asked to bake; detect kind and version (``keyword`` forces the version)."""
    document: Mapping[str, Any] | None = None
    if isinstance(payload, Mapping):
        document = payload
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    elif isinstance(payload, (bytes, bytearray, memoryview)):
        try:
            text = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BakingError(f"payload is not UTF-8 text: {exc}") from None
    elif isinstance(payload, str):
        text = payload
    else:
        raise TypeError(f"payload must be str, bytes or a mapping, not {type(payload).__name__}")
    text = text.strip()
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BakingError(f"payload is not valid Unicode text: {exc}") from None
    limits.check_payload_size(len(data))
    if "\x00" in text:
        raise BakingError("payload contains a NUL character")

    kind = classify_kind(text)
    if kind is None:
        raise BakingError("payload is neither a JSON object, an http(s) URL nor a compact JWS/JWT")
    if kind == "json" and document is None:
        try:
            parsed = json_loads(text)
        except ValueError as exc:
            raise BakingError(f"payload looks like JSON but does not parse: {exc}") from None
        if not isinstance(parsed, dict):
            raise BakingError("a JSON payload must be an object")
        document = parsed

    if keyword is None:
        version = _detect_version(kind, text, document)
    elif keyword in KEYWORD_VERSIONS:
        version = KEYWORD_VERSIONS[keyword]
    else:
        raise BakingError(f"unknown keyword {keyword!r}; use {KEYWORD_OB2!r} (OB 2.0) "
                          f"or {KEYWORD_OB3!r} (OB 3.0)")
    return PreparedPayload(text, data, kind, version, document)


def _detect_version(kind: Kind, text: str, document: Mapping[str, Any] | None) -> Version:
    if kind == "json":
        return "3.0" if document is not None and _is_credential(document) else "2.0"
    if kind == "jws":
        claims = _jwt_claims(text)
        if claims is not None and ("vc" in claims or _is_credential(claims)):
            return "3.0"
    return "2.0"


def _is_credential(doc: Mapping[str, Any]) -> bool:
    """A W3C Verifiable Credential (OB 3.0) rather than an OB 2.0 document."""
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    if any(isinstance(c, str) and c in _VC_CONTEXTS for c in contexts):
        return True
    types = doc.get("type")
    type_list = types if isinstance(types, list) else [types]
    return any(isinstance(t, str) and t in _VC_TYPES for t in type_list)


def _jwt_claims(token: str) -> Mapping[str, Any] | None:
    """The JSON payload of a compact JWS, unverified (only to tell OB 2.0 from 3.0), or None."""
    segment = token.split(".")[1].rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        claims = json_loads(raw)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None
