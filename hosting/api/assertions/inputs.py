"""Reading assertion requests: one award (:func:`parse_award`), the batch body, flags, dates, recipients,
evidence and the OB 3.0 proof choice. Every problem goes to a :class:`~hosting.lib.body.FieldErrors`."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from litestar import Request

from hosting.lib.body import FieldErrors
from hosting.lib.errors import InvalidInput
from hosting.storage.models import Acceptance, utcnow
from hosting.storage.store import Award

__all__ = ["MAX_BATCH", "MAX_BATCH_BODY_BYTES", "acceptance_field", "flag_field", "ob3_proof", "parse_award",
           "parse_moment", "read_batch", "verification_field"]

MAX_BATCH = 10_000
MAX_BATCH_BODY_BYTES = 32 * 1024 * 1024
MAX_EVIDENCE = 50

_TELEPHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_AWARD_FIELDS = frozenset({
    "recipient", "recipient_email", "recipient_name", "issued_to_first_name", "issued_to_last_name",
    "issuedOn", "issued_at", "expires", "expires_at", "narrative", "evidence", "issuer_earner_id", "slug",
    "verification", "allowDuplicateAwards", "notify", "locale", "format", "proof", "acceptance", "claimCode",
})



def flag_field(data: dict[str, Any], field: str, default: bool, errors: FieldErrors) -> bool:
    value = data.get(field, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    errors.add(field, "must be true or false", value)
    return default


def parse_moment(data: dict[str, Any], fields: tuple[str, ...], errors: FieldErrors) -> datetime | None:
    """The first of ``fields`` given, as an aware UTC datetime (ISO 8601 date or date-time)."""
    field = next((f for f in fields if f in data and data[f] is not None), None)
    if field is None:
        return None
    value = data[field]
    try:
        if not isinstance(value, str) or not value.strip():
            raise ValueError
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        errors.add(field, "must be an ISO 8601 date or date-time", value)
        return None
    if not 1900 <= moment.year <= 9999:
        errors.add(field, "year out of range", value)
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _recipient(data: dict[str, Any], errors: FieldErrors) -> tuple[str, str, bool] | None:
    """(normalised identity, type, hashed) from ``recipient`` (email string or object) or ``recipient_email``."""
    raw = data.get("recipient", data.get("recipient_email"))
    field = "recipient_email" if "recipient_email" in data and "recipient" not in data else "recipient"
    rtype, hashed = "email", True
    if isinstance(raw, dict):
        unknown = sorted(set(raw) - {"identity", "type", "hashed"})
        for name in unknown:
            errors.add(f"recipient.{name}", "unknown field", None)
        rtype = raw.get("type", "email")
        hashed_value = raw.get("hashed", True)
        if not isinstance(hashed_value, bool):
            errors.add("recipient.hashed", "must be true or false", hashed_value)
        hashed = hashed_value is not False
        raw, field = raw.get("identity"), "recipient.identity"
        if rtype not in ("email", "url", "telephone"):
            errors.add("recipient.type", "must be email, url or telephone", rtype)
            return None
    if raw is None:
        errors.add(field, "required", None)
        return None
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


def _evidence_item(item: Any, where: str, errors: FieldErrors) -> dict[str, Any] | None:
    """Credly evidence (URL, plain text, key-value group) or an OB Evidence object → OB 2.0 Evidence."""
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
    text = errors.text
    if kind == "UrlEvidence":  # Credly: {name, value: URL, description}
        return {"id": errors.url(item, "value", required=True), "name": text(item, "name", max_len=255),
                "description": text(item, "description", max_len=10_000)}
    if kind in ("IdEvidence", "InfoEvidence", "TextEvidence"):  # Credly plain text: {title|name, description}
        return {"name": text(item, "title", max_len=255) or text(item, "name", max_len=255),
                "narrative": text(item, "description", required=True, max_len=10_000)}
    if kind == "KeyValueEvidence":  # a titled group of key-value pairs: {title, items: [{key, value}]}
        pairs = item.get("items")
        if not isinstance(pairs, list) or not pairs or len(pairs) > 100 or not all(
                isinstance(p, dict) and isinstance(p.get("key"), str) and isinstance(p.get("value"), str)
                and p["key"].strip() for p in pairs):
            errors.add("items", "1-100 objects {key: string, value: string}", None)
            return None
        lines = [f"{p['key'].strip()}: {p['value'].strip()}" for p in pairs]
        return {"name": text(item, "title", max_len=255), "narrative": "\n".join(lines)[:10_000]}
    if kind == "Evidence":  # OB 2.0 Evidence as is
        out = {"id": errors.url(item, "id"), "narrative": text(item, "narrative", max_len=10_000),
               "name": text(item, "name", max_len=255), "description": text(item, "description", max_len=10_000),
               "genre": text(item, "genre", max_len=255), "audience": text(item, "audience", max_len=255)}
        if "id" not in item and "narrative" not in item:
            errors.add("id", "evidence needs an id (URL) or a narrative", None)
        return out
    errors.add("type", "UrlEvidence, IdEvidence, InfoEvidence, KeyValueEvidence or Evidence", kind)
    return None


def _evidence(data: dict[str, Any], errors: FieldErrors) -> tuple[dict[str, Any], ...]:
    value = data.get("evidence")
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_EVIDENCE:
        errors.add("evidence", f"at most {MAX_EVIDENCE} items", len(items))
        return ()
    where = "evidence[{}]" if isinstance(value, list) else "evidence"
    made = [_evidence_item(item, where.format(i), errors) for i, item in enumerate(items)]
    return tuple(m for m in made if m is not None)


def acceptance_field(data: dict[str, Any], default: str | None, errors: FieldErrors) -> str | None:
    """``acceptance``: "issuer" (accepted at issue) or "earner" (pending until the earner accepts); ``None``
    when not given (the badge class's default applies)."""
    value = data.get("acceptance", default)
    if value is not None and value not in Acceptance.ALL:
        errors.add("acceptance", "must be 'issuer' or 'earner'", value)
        return None
    return value if value is None else str(value)


def verification_field(data: dict[str, Any], default: str, errors: FieldErrors) -> str:
    value = data.get("verification", default)
    if isinstance(value, dict):
        value = value.get("type")
    if value not in ("hosted", "signed"):
        errors.add("verification", "must be 'hosted' or 'signed'", value)
        return default
    return str(value)


def ob3_proof(data: Any, defaults: dict[str, Any], errors: FieldErrors) -> str | None:
    """``None`` for OB 2.0 (``format`` "ob2", the default), else the OB 3.0 proof: "di" (default) or "jwt"."""
    if not isinstance(data, dict):
        return None
    fmt = data.get("format") or defaults.get("format") or "ob2"
    proof = data.get("proof") or (None if data.get("format") else defaults.get("proof"))
    if fmt not in ("ob2", "ob3"):
        errors.add("format", "must be 'ob2' or 'ob3'", fmt)
        return None
    if fmt == "ob2":
        if proof is not None:
            errors.add("proof", "only with format 'ob3'", proof)
        return None
    if proof not in (None, "di", "jwt"):
        errors.add("proof", "must be 'di' or 'jwt'", proof)
        return None
    if (data.get("verification") or defaults.get("verification")) == "signed":
        errors.add("verification", "an OB 3.0 credential carries its own proof: leave verification out", "signed")
    return str(proof or "di")


def parse_award(data: Any, errors: FieldErrors, *, defaults: dict[str, Any] | None = None,
                recipient_required: bool = True) -> tuple[Award | None, bool]:
    """An :class:`Award` and its ``notify`` flag from one request object; problems go to ``errors``."""
    defaults = defaults or {}
    if not isinstance(data, dict):
        errors.add("assertion", "must be an object", None)
        return None, False
    data = {k: v for k, v in data.items() if v is not None}  # null means "not given"
    for name in sorted(set(data) - _AWARD_FIELDS):
        errors.add(name, "unknown field", None)
    before = len(errors.details)
    recipient = _recipient(data, errors) if recipient_required or "recipient" in data or \
        "recipient_email" in data else None
    name = errors.text(data, "recipient_name", max_len=255)
    first = errors.text(data, "issued_to_first_name", max_len=120)
    last = errors.text(data, "issued_to_last_name", max_len=120)
    if name is None and (first or last):
        name = " ".join(part for part in (first, last) if part)
    issued_on = parse_moment(data, ("issuedOn", "issued_at"), errors)
    expires = parse_moment(data, ("expires", "expires_at"), errors)
    if expires is not None and expires <= (issued_on or utcnow()):
        errors.add("expires", "must be after issuedOn", data.get("expires", data.get("expires_at")))
    locale = errors.text(data, "locale", max_len=16)
    if locale and not _LOCALE.match(locale):
        errors.add("locale", "a language tag such as en or pt-BR", locale)
    award_fields: dict[str, Any] = {
        "recipient_name": name or None,
        "issued_on": issued_on,
        "expires": expires,
        "narrative": errors.text(data, "narrative", max_len=10_000) or None,
        "evidence": _evidence(data, errors),
        "verification": verification_field(data, defaults.get("verification", "hosted"), errors),
        "issuer_earner_id": errors.text(data, "issuer_earner_id", max_len=255) or None,
        "slug": errors.slug(data),
        "locale": locale or None,
        "allow_duplicate": flag_field(data, "allowDuplicateAwards", defaults.get("allowDuplicateAwards", False),
                                 errors),
    }
    award_fields["acceptance"] = acceptance_field(data, defaults.get("acceptance"), errors)
    award_fields["claim_code"] = errors.text(data, "claimCode", max_len=64) or None
    notify = flag_field(data, "notify", defaults.get("notify", True), errors)
    if len(errors.details) > before:
        return None, notify
    if recipient is None:
        return Award(recipient="", **award_fields), notify  # replace: the caller fills the recipient in
    identity, rtype, hashed = recipient
    return Award(recipient=identity, recipient_type=rtype, hashed=hashed, **award_fields), notify


async def read_batch(request: Request[Any, Any, Any]) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BATCH_BODY_BYTES:
        raise InvalidInput(f"body larger than {MAX_BATCH_BODY_BYTES} bytes", details=[
            {"field": "body", "message": "too large", "value": len(raw)}])
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype not in ("application/json", "") and not ctype.endswith("+json"):
        raise InvalidInput("a batch is a JSON body", details=[
            {"field": "content-type", "message": "use application/json", "value": ctype}])
    try:
        data = json.loads(raw or b"{}")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidInput(f"malformed JSON: {exc}", details=[
            {"field": "body", "message": "malformed JSON", "value": None}]) from exc
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", details=[
            {"field": "body", "message": "must be an object", "value": type(data).__name__}])
    return data
