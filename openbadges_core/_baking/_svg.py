"""Baking into SVG: an ``<openbadges:assertion>`` (OB 2.0) or ``<openbadges:credential>`` (OB 3.0)
element right after the root start tag.

Every SVG is first parsed in full by defusedxml's hardened expat parser (entity declarations, external
references and nesting beyond the limit are refused). Baking then edits the original text at the byte
positions expat reported — insert the badge element, remove old badge elements, ``<script>`` elements,
``on*`` attributes and ``javascript:`` URLs — instead of re-serialising the document, so everything
else (DOCTYPE, comments, prefixes, formatting) is kept as written. Badge elements are matched by
namespace, never by prefix.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from openbadges_core._baking._limits import DEFAULT_LIMITS, BakingLimits, read_image
from openbadges_core._baking._payload import (
    BakedPayload,
    PreparedPayload,
    Version,
    classify_kind,
    prepare_payload,
)
from openbadges_core._errors import (
    AmbiguousPayloadError,
    BakingError,
    CorruptImageError,
    NoBadgePayloadError,
    NotAnImageError,
    UnsafeSvgError,
)

__all__ = ["NS_OB2", "NS_OB3", "bake_svg", "looks_like_svg", "unbake_svg"]

NS_OB2 = "http://openbadges.org"
NS_OB3 = "https://purl.imsglobal.org/ob/v3p0"
_SVG_NS = "http://www.w3.org/2000/svg"
# expat (namespace separator "}") reports names as "namespace}local"
_BADGE_ELEMENTS: dict[str, Version] = {f"{NS_OB2}}}assertion": "2.0", f"{NS_OB3}}}credential": "3.0"}
_ELEMENT_FOR: dict[Version, tuple[bytes, bytes]] = {
    "2.0": (b"openbadges:assertion", NS_OB2.encode()),
    "3.0": (b"openbadges:credential", NS_OB3.encode()),
}
_SVG_ROOTS = frozenset({f"{_SVG_NS}}}svg", "svg"})
# A start or end tag; quoted attribute values may hold ">" (expat has already checked well-formedness).
_TAG_RE = re.compile(rb"<[^\"'>]*(?:(?:\"[^\"]*\"|'[^']*')[^\"'>]*)*>")
_ATTR_RE = re.compile(rb"(\s+)([^\s=/>]+)(\s*=\s*)(\"[^\"]*\"|'[^']*')")
_NAMED_ENTITY_REF = re.compile(rb"&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)[^;\s]+;")
_SCRIPT_SCHEMES = frozenset({"javascript", "vbscript"})
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TAB_NEWLINE = re.compile(r"[\t\n\r]+")
_XML_DECL_ENCODING = re.compile(rb"^(<\?xml[^>]*?encoding\s*=\s*)([\"'])([A-Za-z0-9._-]+)\2")


def looks_like_svg(data: bytes) -> bool:
    """Cheap sniff: XML-ish text (``<`` first, after a BOM and whitespace). The parser decides the rest."""
    head = data[:4].lstrip(b"\xef\xbb\xbf")
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


@dataclass(slots=True)
class _Badge:
    version: Version
    start: int
    depth: int
    verify: str | None
    text: list[str] = field(default_factory=list)
    end: int = -1


@dataclass(slots=True)
class _Scan:
    """What one parse of an SVG found, with byte offsets into the document."""

    root_start: int = -1
    root_name: str = ""
    badges: list[_Badge] = field(default_factory=list)
    removals: list[tuple[int, int]] = field(default_factory=list)  # <script> elements (bake only)
    dirty_tags: list[int] = field(default_factory=list)  # start tags with on* / javascript: (bake only)


class _Scanner:
    """Runs defusedxml's expat parser once with small handlers that record what baking needs."""

    def __init__(self, data: bytes, limits: BakingLimits, *, sanitize: bool) -> None:
        self.data = data
        self.limits = limits
        self.sanitize = sanitize
        self.scan = _Scan()
        self.depth = 0
        self.badge: _Badge | None = None
        self.text_size = 0
        self.script_depth = 0
        self.script_start = -1
        defused = DefusedXMLParser(target=_NoTarget(), forbid_dtd=False, forbid_entities=True,
                                   forbid_external=True)
        self.parser = defused.parser
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.parser.SkippedEntityHandler = self._skipped_entity
        self._defused = defused  # keeps the entity/DTD guards' owner alive

    def run(self) -> _Scan:
        try:
            self.parser.Parse(self.data, True)
        except DefusedXmlException as exc:
            raise UnsafeSvgError(f"unsafe SVG refused: {exc}") from None
        except BakingError:
            raise
        except (ExpatError, ParseError, LookupError, UnicodeError, ValueError) as exc:
            # LookupError/UnicodeError: expat asks Python's codecs for a declared non-UTF-8 encoding
            raise CorruptImageError(f"malformed SVG: {exc}", code="corrupt_svg") from None
        except RecursionError:
            raise UnsafeSvgError("SVG nesting too deep") from None
        if self.scan.root_start < 0:
            raise NotAnImageError("not an SVG: no root element")
        return self.scan

    def _start(self, name: str, attrs: list[str]) -> None:
        self.depth += 1
        if self.depth > self.limits.max_svg_depth:
            raise UnsafeSvgError(f"SVG nesting deeper than {self.limits.max_svg_depth} elements")
        pos = self.parser.CurrentByteIndex
        if self.depth == 1:
            if name not in _SVG_ROOTS:
                raise NotAnImageError(f"not an SVG: the root element is {name.replace('}', ' ')!r}")
            self.scan.root_start = pos
            self.scan.root_name = name
        version = _BADGE_ELEMENTS.get(name)
        if version is not None and self.badge is None:
            verify = _attr(attrs, "verify")
            if verify is not None:
                self.limits.check_payload_size(len(verify))
                tag = self.data[pos:_tag_end(self.data, pos)]
                if _NAMED_ENTITY_REF.search(tag):
                    # expat silently drops entities from attribute values when an external DTD
                    # could define them; never let that alter a payload
                    raise UnsafeSvgError("the badge element refers to an entity defined outside the SVG")
            self.badge = _Badge(version, pos, self.depth, verify)
            self.scan.badges.append(self.badge)
        if not self.sanitize or self.script_depth:
            return
        if name.rpartition("}")[2].lower() == "script":
            self.script_depth, self.script_start = self.depth, pos
        elif any(_is_dangerous_attr(attrs[i].rpartition("}")[2], attrs[i + 1]) for i in range(0, len(attrs), 2)):
            self.scan.dirty_tags.append(pos)

    def _end(self, name: str) -> None:
        if self.badge is not None and self.depth == self.badge.depth:
            self.badge.end = _element_end(self.data, self.badge.start, self.parser.CurrentByteIndex)
            self.badge = None
        if self.script_depth == self.depth:
            end = _element_end(self.data, self.script_start, self.parser.CurrentByteIndex)
            self.scan.removals.append((self.script_start, end))
            self.script_depth = 0
        self.depth -= 1

    def _skipped_entity(self, name: str, is_parameter_entity: bool) -> None:
        # an entity only an external DTD could define: never fetched, and never silently dropped
        raise UnsafeSvgError(f"SVG refers to entity &{name}; which only an external DTD could define")

    def _text(self, text: str) -> None:
        badge = self.badge
        if badge is not None and self.depth == badge.depth:
            self.text_size += len(text)
            self.limits.check_payload_size(self.text_size)
            badge.text.append(text)


class _NoTarget:
    """ElementTree target placeholder: the scanner installs its own expat handlers."""

    def close(self) -> None:
        return None


def _attr(attrs: list[str], wanted: str) -> str | None:
    for i in range(0, len(attrs), 2):
        if attrs[i] == wanted:
            return attrs[i + 1]
    return None


def _is_dangerous_attr(local_name: str, value: str) -> bool:
    """An ``on*`` event handler, or a value that is a script URL (also inside an animation's ``values``)."""
    if local_name[:2].lower() == "on":
        return True
    if ":" not in value:
        return False
    if local_name == "values":
        return any(_is_script_url(part) for part in value.split(";"))
    return _is_script_url(value)


def _is_script_url(value: str) -> bool:
    # as a browser's URL parser does: leading C0/space stripped, tabs and newlines removed anywhere
    url = value.lstrip(_C0_AND_SPACE)
    colon = url.find(":", 0, 256)
    if colon < 0:
        return False
    scheme = _TAB_NEWLINE.sub("", url[:colon]).lower()
    if scheme in _SCRIPT_SCHEMES:
        return True
    return scheme == "data" and _TAB_NEWLINE.sub("", url[colon + 1:colon + 64]).lstrip().lower().startswith(
        "text/html")


def _tag_end(data: bytes, start: int) -> int:
    match = _TAG_RE.match(data, start)
    if match is None:  # cannot happen in a document expat accepted
        raise CorruptImageError("malformed SVG tag", code="corrupt_svg")
    return match.end()


def _element_end(data: bytes, start: int, end_event: int) -> int:
    """Where an element ends, from its start tag position and expat's position at its end event."""
    start_tag_end = _tag_end(data, start)
    if data[start_tag_end - 2:start_tag_end] == b"/>":
        return start_tag_end
    return _tag_end(data, end_event)


# ------------------------------------------------------------------------------------------ unbake

def unbake_svg(image: bytes | str | os.PathLike[str], *, limits: BakingLimits | None = None) -> BakedPayload:
    """The badge payload of an SVG: the CDATA body of the badge element, else its ``verify`` attribute.

    OB 3.0 (``<credential>`` in ``https://purl.imsglobal.org/ob/v3p0``) is preferred over OB 2.0
    (``<assertion>`` in ``http://openbadges.org``) when both are present.
    """
    limits = limits or DEFAULT_LIMITS
    data = read_image(image, limits)
    scan = _Scanner(data, limits, sanitize=False).run()
    payloads: dict[Version, set[str]] = {}
    for badge in scan.badges:
        text = "".join(badge.text).strip()
        verify = (badge.verify or "").strip()
        payload = text if classify_kind(text) is not None or not verify else verify
        payloads.setdefault(badge.version, set()).add(payload)
    if not payloads:
        raise NoBadgePayloadError("the SVG carries no Open Badges assertion or credential element")
    version: Version = "3.0" if "3.0" in payloads else "2.0"
    candidates = payloads[version]
    if len(candidates) > 1:
        raise AmbiguousPayloadError(f"the SVG carries {len(candidates)} different OB {version} payloads")
    (payload,) = candidates
    if not payload:
        raise NoBadgePayloadError("the SVG's badge element is empty")
    kind = classify_kind(payload)
    if kind is None:
        raise CorruptImageError("the SVG's badge element holds neither JSON, a URL nor a JWS/JWT",
                                code="corrupt_svg")
    return BakedPayload(payload, "svg", version, kind)


# -------------------------------------------------------------------------------------------- bake

def bake_svg(image: bytes, payload: str | bytes | Mapping[str, Any], *, keyword: str | None = None,
             limits: BakingLimits | None = None) -> bytes:
    """Bake ``payload`` into an SVG, replacing any earlier badge element and removing scripts.

    JSON goes in a CDATA body (with ``verify`` set to the hosted URL for OB 2.0); a URL or a JWS/JWT
    goes in ``verify`` of a self-closing element. ``keyword`` (``openbadges`` / ``openbadgecredential``)
    forces the version. A non-UTF-8 document is re-encoded as UTF-8.
    """
    limits = limits or DEFAULT_LIMITS
    data = bytes(image)
    limits.check_image_size(len(data))
    prepared = prepare_payload(payload, keyword, limits)
    data = _as_utf8(data)
    scan = _Scanner(data, limits, sanitize=True).run()

    root_tag_end = _tag_end(data, scan.root_start)
    root_tag, self_closing, local_declaration = _rewrite_root_tag(data[scan.root_start:root_tag_end],
                                                                  prepared.version)
    element = _badge_element(prepared, local_declaration)
    insert = root_tag + b"\n" + element
    if self_closing:
        insert += b"\n</" + _raw_tag_name(data, scan.root_start) + b">"

    edits: list[tuple[int, int, bytes]] = [(scan.root_start, root_tag_end, insert)]
    for badge in scan.badges:
        start = badge.start
        while start > 0 and data[start - 1] in b" \t\r\n":
            start -= 1
        edits.append((start, badge.end, b""))
    edits.extend((start, end, b"") for start, end in scan.removals)
    for tag_start in scan.dirty_tags:
        tag_end = _tag_end(data, tag_start)
        edits.append((tag_start, tag_end, _clean_tag(data[tag_start:tag_end])))
    edits.sort(key=lambda e: (e[0], -e[1]))

    view = memoryview(data)
    pieces: list[bytes | memoryview] = []
    cursor = 0
    for start, end, replacement in edits:
        if start < cursor:  # inside something already removed
            continue
        pieces.append(view[cursor:start])
        pieces.append(replacement)
        cursor = end
    pieces.append(view[cursor:])
    return b"".join(pieces)


def _badge_element(prepared: PreparedPayload, declare_namespace: bool) -> bytes:
    name, namespace = _ELEMENT_FOR[prepared.version]
    start = b"<" + name + (b' xmlns:openbadges="' + namespace + b'"' if declare_namespace else b"")
    if prepared.kind == "json":
        verify = _hosted_url(prepared.document) if prepared.version == "2.0" else None
        attr = b' verify="' + _escape_attr(verify) + b'"' if verify else b""
        body = prepared.data.replace(b"]]>", b"]]]]><![CDATA[>")
        return start + attr + b"><![CDATA[" + body + b"]]></" + name + b">"
    return start + b' verify="' + _escape_attr(prepared.text) + b'"/>'


def _hosted_url(document: Mapping[str, Any] | None) -> str | None:
    """The URL of a hosted OB 2.0 assertion (its ``id``; OB 1.0: ``verify.url``), if any."""
    if document is None:
        return None
    candidates = [document.get("id")]
    for key in ("verification", "verify"):
        obj = document.get(key)
        if isinstance(obj, Mapping):
            candidates.append(obj.get("url"))
    for candidate in candidates:
        if isinstance(candidate, str) and classify_kind(candidate) == "url":
            return candidate
    return None


def _escape_attr(value: str) -> bytes:
    return html.escape(value, quote=True).encode("utf-8")


def _raw_tag_name(data: bytes, start: int) -> bytes:
    match = re.compile(rb"<([^\s/>]+)").match(data, start)
    assert match is not None
    return match.group(1)


def _rewrite_root_tag(tag: bytes, version: Version) -> tuple[bytes, bool, bool]:
    """The root start tag cleaned and binding the ``openbadges`` prefix to the version's namespace.

    Returns the tag, whether the root was self-closing, and whether the badge element must declare
    the namespace itself because the root already binds ``openbadges`` to another namespace (rebinding
    it there could turn some other element into a badge).
    """
    _, namespace = _ELEMENT_FOR[version]
    cleaned = _clean_tag(tag)
    local_declaration = False
    for match in _ATTR_RE.finditer(cleaned):
        if match.group(2) == b"xmlns:openbadges":
            bound = html.unescape(match.group(4)[1:-1].decode("utf-8", "replace"))
            local_declaration = bound != namespace.decode()
            break
    else:
        head = cleaned.rstrip(b"/>").rstrip()
        cleaned = head + b' xmlns:openbadges="' + namespace + b'"' + cleaned[len(head):].lstrip()
    self_closing = cleaned.endswith(b"/>")
    if self_closing:
        cleaned = cleaned[:-2].rstrip() + b">"
    return cleaned, self_closing, local_declaration


def _clean_tag(tag: bytes) -> bytes:
    """A start tag without ``on*`` event attributes and ``javascript:``-style URL values."""
    def keep(match: re.Match[bytes]) -> bytes:
        name = match.group(2)
        if name.startswith(b"xmlns"):
            return match.group(0)
        local = name.rpartition(b":")[2].decode("utf-8", "replace")
        value = html.unescape(match.group(4)[1:-1].decode("utf-8", "replace"))
        return b"" if _is_dangerous_attr(local, value) else match.group(0)

    return _ATTR_RE.sub(keep, tag)


def _as_utf8(data: bytes) -> bytes:
    """The document as UTF-8 (so UTF-8 text can be inserted), its XML declaration updated."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise CorruptImageError("malformed SVG: invalid UTF-16", code="corrupt_svg") from None
        return _declare_utf8(text.encode("utf-8"))
    match = _XML_DECL_ENCODING.match(data)
    if match is None or match.group(3).lower() in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return data
    try:
        text = data.decode(match.group(3).decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        raise CorruptImageError(f"SVG in an unknown or invalid encoding {match.group(3)!r}",
                                code="corrupt_svg") from None
    return _declare_utf8(text.encode("utf-8"))


def _declare_utf8(data: bytes) -> bytes:
    return _XML_DECL_ENCODING.sub(lambda m: m.group(1) + m.group(2) + b"UTF-8" + m.group(2), data, count=1)
