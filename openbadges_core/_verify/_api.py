"""``verify``: the one entry point, from any input to a :class:`VerificationReport`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from openbadges_core._baking import unbake
from openbadges_core._errors import OpenBadgesError, VerificationError
from openbadges_core._net import FetchResponse
from openbadges_core._verify._input import DetectedInput, detect_input
from openbadges_core._verify._ob2 import verify_hosted, verify_hosted_json, verify_signed
from openbadges_core._verify._ob3 import verify_credential_json, verify_credential_jwt, verify_credential_url
from openbadges_core._verify._ob3_sources import decode_token, is_ob3, is_ob3_payload, looks_like_jwt
from openbadges_core._verify._options import VerifyOptions
from openbadges_core._verify._report import VerificationReport
from openbadges_core._verify._session import JSON_MEDIA_TYPES, Session, parse_json_object

__all__ = ["verify"]

_COMPACT_JWS = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
VerifyInput = str | bytes | bytearray | memoryview | Mapping[str, Any] | os.PathLike[str]
_DEFAULT_OPTIONS = VerifyOptions()


def verify(input: VerifyInput, *, recipient: str | None = None,
           options: VerifyOptions | None = None) -> VerificationReport:
    """Verify an Open Badges 2.0 assertion or 3.0 credential and explain the verdict check by check.

    ``input`` is an assertion/credential URL, JSON (str, bytes or a mapping), a compact JWS or VC-JWT,
    the bytes of a baked PNG/SVG, or a path to any of those. A baked image is unbaked first.
    ``recipient`` is a plaintext identity (an email ...) to match against the recipient.

    A report comes back whatever the badge's state; ``report.valid`` is the verdict. Raises
    :class:`VerificationError` only when the input cannot be read as anything verifiable.
    """
    options = options or _DEFAULT_OPTIONS
    detected = detect_input(input)
    report = VerificationReport(input_kind=detected.kind)
    session = Session(options, report)
    try:
        _dispatch(session, detected, recipient)
    except VerificationError:
        raise
    except Exception as exc:  # noqa: BLE001 - never crash on a hostile document: a failed check
        message = exc.message if isinstance(exc, OpenBadgesError) else f"{type(exc).__name__}: {exc}"
        report.fail("internal", f"verification stopped unexpectedly: {message}")
    return report


_IMAGE_TYPES = {"image/png": "png", "image/svg+xml": "svg"}
JOSE_ACCEPT = "application/jose"


def _unbaked(session: Session, image: bytes, image_format: str | None) -> tuple[str, Any] | None:
    """(kind, value) of the payload baked in ``image``; None (a failed ``unbake`` check) when there is none."""
    report = session.report
    try:
        baked = unbake(image)
    except OpenBadgesError as exc:
        report.fail("unbake", f"no Open Badges payload could be read from the {image_format or 'image'}: "
                    f"{exc.message}", code=exc.code)
        return None
    report.ok("unbake", f"unbaked a {baked.kind} payload from the {baked.format} image",
              format=baked.format, payload_kind=baked.kind)
    if baked.kind == "json":
        data = parse_json_object(baked.payload.encode("utf-8"))
        if data is None:
            report.fail("unbake", "the baked JSON payload is not a JSON object")
            return None
        return "json", data
    return baked.kind, baked.payload.strip()


def _image_format(res: FetchResponse) -> str | None:
    """``png``/``svg`` when a fetched body is a (baked) badge image, by content type or by its bytes."""
    named = _IMAGE_TYPES.get(res.media_type)
    if named is not None:
        return named
    if res.media_type in JSON_MEDIA_TYPES:
        return None
    try:
        detected = detect_input(res.body)
    except VerificationError:
        return None
    return detected.image_format if detected is not None and detected.kind == "image" else None


def _signed_at_url(session: Session, url: str, hosted: Mapping[str, Any], recipient: str | None) -> None:
    """A URL serving an OB 2.0 assertion that declares ``SignedBadge``: ask the same URL for its compact
    JWS (``Accept: application/jose``) and verify that; the JWS must carry the same assertion id."""
    report = session.report
    report.verification_type = "SignedBadge"
    res = session.fetch(url, "fetch_signed", accept=JOSE_ACCEPT)
    if res is None:
        return
    body = res.body.strip()
    if res.status_code != 200 or not _COMPACT_JWS.fullmatch(body):
        report.assertion = dict(hosted)
        report.fail("verification_type", f"{url} serves an assertion that declares verification type SignedBadge, but "
                    f"did not answer its compact JWS to 'Accept: {JOSE_ACCEPT}' (HTTP {res.status_code}, "
                    f"{res.media_type or 'no content type'}); verify the .jws file instead", url=url,
                    code="no_signed_form")
        return
    report.ok("fetch_signed", f"fetched the signed assertion (compact JWS) from {res.url}", url=res.url)
    verify_signed(session, body.decode("ascii"), recipient)
    signed = report.assertion or {}
    if signed.get("id") != hosted.get("id"):
        report.fail("signed_copy", f"the JWS served at {url} signs assertion {signed.get('id')!r}, but the JSON "
                    f"served there is {hosted.get('id')!r}", url=url)
    else:
        report.ok("signed_copy", "the JWS and the JSON served at the URL are the same assertion")


def _is_signed_ob2(data: Mapping[str, Any]) -> bool:
    verification = data.get("verification")
    kind = verification.get("type") if isinstance(verification, Mapping) else None
    return isinstance(kind, str) and kind.lower() in ("signedbadge", "signed")


def _verify_url(session: Session, url: str, recipient: str | None, *, images: bool) -> None:
    """Fetch ``url`` and verify what it serves: an OB 3.0 credential, a signed or hosted OB 2.0
    assertion, or (``images``: not for a URL baked in an image) a baked badge image."""
    res = session.fetch(url, "fetch_assertion")
    if res is None:
        return
    if res.status_code == 200:
        image_format = _image_format(res) if images else None
        if image_format is not None:
            session.report.ok("fetch_assertion", f"fetched a {image_format} image from {res.url}", url=res.url)
            _verify_image(session, res.body, image_format, recipient)
            return
        data = parse_json_object(res.body)
        if (is_ob3(data) if data is not None else looks_like_jwt(res.body)):
            verify_credential_url(session, url, recipient, res)
            return
        if data is not None and _is_signed_ob2(data):
            session.report.ok("fetch_assertion", f"fetched the assertion from {res.url}", url=res.url)
            _signed_at_url(session, url, data, recipient)
            return
    verify_hosted(session, url, recipient, first=res)


def _verify_image(session: Session, image: bytes, image_format: str | None, recipient: str | None) -> None:
    unbaked = _unbaked(session, image, image_format)
    if unbaked is not None:
        _verify_value(session, *unbaked, recipient, origin="baked")


def _verify_value(session: Session, kind: str, value: Any, recipient: str | None, *, origin: str) -> None:
    if kind == "url":
        _verify_url(session, value, recipient, images=origin != "baked")
    elif kind == "jws":
        decoded = decode_token(value)  # once: detection and the OB 2.0 flow share it
        if decoded is not None and is_ob3_payload(decoded[2]):
            verify_credential_jwt(session, value, recipient)
        else:
            verify_signed(session, value, recipient, decoded=decoded)
    elif kind == "json":
        if is_ob3(value):
            verify_credential_json(session, value, recipient)
        else:
            verify_hosted_json(session, value, recipient, provided_from=origin)
    else:  # pragma: no cover - detect_input and unbake know no other kinds
        raise VerificationError(f"cannot verify input of kind {kind!r}")


def _dispatch(session: Session, detected: DetectedInput, recipient: str | None) -> None:
    if detected.kind == "image":
        _verify_image(session, detected.value, detected.image_format, recipient)
    else:
        _verify_value(session, detected.kind, detected.value, recipient, origin="provided")
