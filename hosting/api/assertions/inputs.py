"""Assertion requests after their structs (:mod:`.shapes`) have typed them: one award (:func:`parse_award`)
— recipients, dates, evidence, lengths and the OB 3.0 proof choice — and the batch body (:func:`read_batch`).
Every problem goes to a :class:`~hosting.lib.body.FieldErrors`."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec
from litestar import Request

from hosting.api.assertions.shapes import AssertionInput, BatchOptions, RecipientInput
from hosting.lib.body import EMAIL_ADDRESS, SLUG, FieldErrors, http_url
from hosting.lib.errors import InvalidInput
from hosting.lib.evidence import CREDLY_EVIDENCE_TYPES, ob_evidence
from hosting.lib.times import utc_within_years
from hosting.storage.models import utcnow
from hosting.storage.store import Award

__all__ = ["MAX_BATCH", "MAX_BATCH_BODY_BYTES", "ob3_proof", "parse_award", "parse_moment", "read_batch"]

MAX_BATCH = 10_000
MAX_BATCH_BODY_BYTES = 32 * 1024 * 1024
MAX_EVIDENCE = 50

_TELEPHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def _moment(body: AssertionInput, names: tuple[str, str], errors: FieldErrors) -> datetime | None:
    """The first of ``names`` given, as an aware UTC datetime (whole seconds)."""
    field = names[0] if getattr(body, names[0]) is not None else names[1]
    return parse_moment(field, getattr(body, field), errors)


def parse_moment(field: str, value: str | None, errors: FieldErrors) -> datetime | None:
    """``value`` (ISO 8601 date or date-time) as an aware UTC datetime (whole seconds); a bad one goes to
    ``errors`` under ``field``."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.add(field, "must be an ISO 8601 date or date-time", value)
        return None
    try:
        return utc_within_years(moment).replace(microsecond=0)
    except ValueError as exc:
        errors.add(field, str(exc), value)
        return None


def _short(body: AssertionInput, field: str, max_len: int, errors: FieldErrors) -> str | None:
    """A text field (already stripped by the conversion) within ``max_len`` characters; "" is not given."""
    value: str | None = getattr(body, field)
    if value is not None and len(value) > max_len:
        errors.add(field, f"at most {max_len} characters", value)
        return None
    return value or None


def _recipient(body: AssertionInput, errors: FieldErrors) -> tuple[str, str, bool] | None:
    """(normalised identity, type, hashed) from ``recipient`` (email string or object) or ``recipient_email``."""
    raw: Any = body.recipient if body.recipient is not None else body.recipient_email
    field = "recipient_email" if body.recipient is None and body.recipient_email is not None else "recipient"
    rtype, hashed = "email", True
    if isinstance(raw, RecipientInput):
        rtype, hashed, raw, field = raw.type, raw.hashed, raw.identity, "recipient.identity"
    if raw is None:
        errors.add(field, "required", None)
        return None
    if rtype == "email" and raw and len(raw) <= 320 and EMAIL_ADDRESS.match(raw):  # the usual case, quickly
        return raw.lower(), rtype, hashed
    checked = {"email": errors.email, "url": errors.url}
    if rtype in checked:
        value = checked[rtype]({field: raw}, field, required=True)
    else:
        value = errors.text({field: raw}, field, required=True, max_len=64)
        if value is not None:
            value = re.sub(r"[\s().-]", "", value)
            if not _TELEPHONE.match(value):
                errors.add(field, "must be a telephone number in E.164 form (+ and 7-15 digits)", raw)
                return None
    return None if value is None else (value, rtype, hashed)


def _slug(value: str | None, errors: FieldErrors) -> str | None:
    if value is not None and not SLUG.match(value):
        errors.add("slug", "lowercase letters, digits and dashes, 1-50 characters", value)
        return None
    return value


def _evidence_item(item: Any, where: str, errors: FieldErrors) -> dict[str, Any] | None:
    """A URL, Credly evidence (``UrlEvidence``, ``PlainTextEvidence``, ``KeyValueGroupEvidence``) or an OB
    ``Evidence`` object → OB 2.0 Evidence."""
    if isinstance(item, str) and len(item) <= 2048:
        try:
            return {"type": "Evidence", "id": http_url(item)}
        except ValueError:
            pass
    if isinstance(item, str):
        url = errors.url({where: item}, where, required=True)
        return None if url is None else {"type": "Evidence", "id": url}
    if not isinstance(item, dict):
        errors.add(where, "must be a URL or an object", item)
        return None
    item = {k: v for k, v in item.items() if v is not None}
    before = len(errors.details)
    out = _evidence_fields(item, errors)
    for detail in errors.details[before:]:  # name the field inside the list: evidence[2].value
        detail["field"] = f"{where}.{detail['field']}"
    if len(errors.details) > before or out is None:
        return None
    return {"type": "Evidence", **{k: v for k, v in out.items() if v}}


def _evidence_fields(item: dict[str, Any], errors: FieldErrors) -> dict[str, Any] | None:
    kind = item.get("type", "Evidence")
    if kind in CREDLY_EVIDENCE_TYPES:  # the seed's names: UrlEvidence, PlainTextEvidence, KeyValueGroupEvidence
        return ob_evidence(item, errors)
    if kind == "Evidence":  # OB 2.0 Evidence as is
        text = errors.text
        out = {"id": errors.url(item, "id"), "narrative": text(item, "narrative", max_len=10_000),
               "name": text(item, "name", max_len=255), "description": text(item, "description", max_len=10_000),
               "genre": text(item, "genre", max_len=255), "audience": text(item, "audience", max_len=255)}
        if "id" not in item and "narrative" not in item:
            errors.add("id", "evidence needs an id (URL) or a narrative", None)
        return out
    errors.add("type", f"one of {', '.join(CREDLY_EVIDENCE_TYPES)} or Evidence", kind)
    return None


def _evidence(value: Any, errors: FieldErrors) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_EVIDENCE:
        errors.add("evidence", f"at most {MAX_EVIDENCE} items", len(items))
        return ()
    where = "evidence[{}]" if isinstance(value, list) else "evidence"
    made = [_evidence_item(item, where.format(i), errors) for i, item in enumerate(items)]
    return tuple(m for m in made if m is not None)


def ob3_proof(body: AssertionInput, defaults: BatchOptions | None, errors: FieldErrors) -> str | None:
    """``None`` for OB 2.0 (``format`` "ob2", the default), else the OB 3.0 proof: "di" (default) or "jwt"."""
    fmt = body.format or (defaults.format if defaults else None) or "ob2"
    proof = body.proof or (None if body.format or defaults is None else defaults.proof)
    if fmt == "ob2":
        if proof is not None:
            errors.add("proof", "only with format 'ob3'", proof)
        return None
    if (body.verification or (defaults.verification if defaults else None)) == "signed":
        errors.add("verification", "an OB 3.0 credential carries its own proof: leave verification out", "signed")
    return proof or "di"


def parse_award(body: AssertionInput, errors: FieldErrors, *, defaults: BatchOptions | None = None,
                recipient_required: bool = True, proof: str | None = None,
                created_by: str | None = None) -> tuple[Award | None, bool]:
    """An :class:`Award` and its ``notify`` flag from one typed request; problems go to ``errors``.
    ``proof`` (see :func:`ob3_proof`) and ``created_by`` are set on the award as given."""
    notify = body.notify if body.notify is not None else (defaults.notify if defaults else None)
    if notify is None:
        notify = True
    before = len(errors.details)
    given = body.recipient is not None or body.recipient_email is not None
    recipient = _recipient(body, errors) if recipient_required or given else None
    name = _short(body, "recipient_name", 255, errors)
    first = _short(body, "issued_to_first_name", 120, errors)
    last = _short(body, "issued_to_last_name", 120, errors)
    if name is None and (first or last):
        name = " ".join(part for part in (first, last) if part)
    issued_on = _moment(body, ("issuedOn", "issued_at"), errors)
    expires = _moment(body, ("expires", "expires_at"), errors)
    if expires is not None and expires <= (issued_on or utcnow()):
        errors.add("expires", "must be after issuedOn", body.expires or body.expires_at)
    locale = _short(body, "locale", 16, errors)
    if locale and not _LOCALE.match(locale):
        errors.add("locale", "a language tag such as en or pt-BR", locale)
    allow_duplicate = body.allowDuplicateAwards
    if allow_duplicate is None:
        allow_duplicate = bool(defaults and defaults.allowDuplicateAwards)
    award_fields: dict[str, Any] = {
        "recipient_name": name or None,
        "issued_on": issued_on,
        "expires": expires,
        "narrative": _short(body, "narrative", 10_000, errors),
        "evidence": _evidence(body.evidence, errors),
        "verification": body.verification or (defaults.verification if defaults else None) or "hosted",
        "issuer_earner_id": _short(body, "issuer_earner_id", 255, errors),
        "slug": _slug(body.slug, errors),
        "locale": locale,
        "allow_duplicate": allow_duplicate,
        "acceptance": body.acceptance or (defaults.acceptance if defaults else None),
        "claim_code": _short(body, "claimCode", 64, errors),
        "proof": proof,
        "created_by": created_by,
    }
    if len(errors.details) > before:
        return None, notify
    if recipient is None:
        return Award(recipient="", **award_fields), notify  # replace: the caller fills the recipient in
    identity, rtype, hashed = recipient
    return Award(recipient=identity, recipient_type=rtype, hashed=hashed, **award_fields), notify


async def read_batch(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The batch body as a dict (JSON only; up to :data:`MAX_BATCH_BODY_BYTES`)."""
    raw = await request.body()
    if len(raw) > MAX_BATCH_BODY_BYTES:
        raise InvalidInput(f"body larger than {MAX_BATCH_BODY_BYTES} bytes", details=[
            {"field": "body", "message": "too large", "value": len(raw)}])
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in ("application/json", "") and not ctype.endswith("+json"):
        raise InvalidInput("a batch is a JSON body", details=[
            {"field": "content-type", "message": "use application/json", "value": ctype}])
    try:
        data = msgspec.json.decode(raw or b"{}")
    except (msgspec.DecodeError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}", details=[
            {"field": "body", "message": "malformed JSON", "value": None}]) from exc
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", details=[
            {"field": "body", "message": "must be an object", "value": type(data).__name__}])
    return data
