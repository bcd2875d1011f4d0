"""``verify``: the one entry point, from any input to a :class:`VerificationReport`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from openbadges_core._baking import unbake
from openbadges_core._errors import OpenBadgesError, VerificationError
from openbadges_core._verify._input import DetectedInput, detect_input
from openbadges_core._verify._ob2 import verify_hosted, verify_hosted_json, verify_signed
from openbadges_core._verify._ob3 import verify_credential_json, verify_credential_jwt, verify_credential_url
from openbadges_core._verify._ob3_sources import is_ob3, is_ob3_token, looks_like_jwt
from openbadges_core._verify._options import VerifyOptions
from openbadges_core._verify._report import VerificationReport
from openbadges_core._verify._session import Session, parse_json_object

__all__ = ["verify"]

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


def _dispatch(session: Session, detected: DetectedInput, recipient: str | None) -> None:
    report = session.report
    kind, value, origin = detected.kind, detected.value, "provided"
    if kind == "image":
        try:
            baked = unbake(value)
        except OpenBadgesError as exc:
            report.fail("unbake", f"no Open Badges payload could be read from the {detected.image_format}: "
                        f"{exc.message}", code=exc.code)
            return
        report.ok("unbake", f"unbaked a {baked.kind} payload from the {baked.format} image",
                  format=baked.format, payload_kind=baked.kind)
        origin = "baked"
        if baked.kind == "json":
            data = parse_json_object(baked.payload.encode("utf-8"))
            if data is None:
                report.fail("unbake", "the baked JSON payload is not a JSON object")
                return
            kind, value = "json", data
        else:
            kind, value = baked.kind, baked.payload.strip()
    if kind == "url":
        res = session.fetch(value, "fetch_assertion")
        if res is None:
            return
        if res.status_code == 200:
            data = parse_json_object(res.body)
            if (is_ob3(data) if data is not None else looks_like_jwt(res.body)):
                verify_credential_url(session, value, recipient, res)
                return
        verify_hosted(session, value, recipient, first=res)
    elif kind == "jws":
        if is_ob3_token(value):
            verify_credential_jwt(session, value, recipient)
        else:
            verify_signed(session, value, recipient)
    elif kind == "json":
        if is_ob3(value):
            verify_credential_json(session, value, recipient)
        else:
            verify_hosted_json(session, value, recipient, provided_from=origin)
    else:  # pragma: no cover - detect_input knows no other kinds
        raise VerificationError(f"cannot verify input of kind {kind!r}")
