"""Open Badges 3.0 verification: a credential (JSON with a Data Integrity proof, or a VC-JWT) in,
checks out, in the order of the spec's verification section:

``ob_version`` → ``validate_credential`` (schema) → ``credential_subject`` (id or identifier) →
``proof`` + ``issuer_key`` → ``refresh_service`` (noted, not followed) → ``credential_status`` →
``valid_from`` / ``valid_until`` → ``recipient`` → ``endorsement`` (each endorsement verified on its own).

Every linked document (status lists, DID documents, controller documents, JWKS) comes from
``VerifyOptions.documents``, the cache or the session's SSRF-safe fetcher — never fetched directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from openbadges_core._errors import OpenBadgesError
from openbadges_core._identity import identity_matches
from openbadges_core._net import FetchResponse
from openbadges_core._ob3._rules import schema_view
from openbadges_core._ob3._schema import credential_issues
from openbadges_core._ob3._status import BitstringStatusList
from openbadges_core._verify._checks import as_list, parse_datetime, utc_now
from openbadges_core._verify._ob3_sources import (
    VC_CONTEXTS,
    check_data_integrity,
    check_jwt_proof,
    context_urls,
    fetch_document,
    issuer_id,
)
from openbadges_core._verify._report import VerificationReport
from openbadges_core._verify._session import (
    Session,
    decode_jws_object,
    is_http_url,
    parse_json_object,
    record_validation,
)

__all__ = ["verify_credential_json", "verify_credential_jwt", "verify_credential_url"]

_STATUS_ENTRY_TYPES = frozenset({"BitstringStatusListEntry", "StatusList2021Entry"})
_LEGACY_STATUS = "1EdTechRevocationList"
_MAX_ENDORSEMENTS = 16
_MAX_DEPTH = 2
# a base-10 string (Bitstring Status List); [0-9], as str.isdigit() and \d take other scripts' digits
_INDEX = re.compile(r"[0-9]{1,20}")

# --- status ---------------------------------------------------------------------------------------
def _status_list_credential(session: Session, url: str, issuer: str | None) -> dict[str, Any] | None:
    """Fetch, verify and check the freshness of a status list credential."""
    report = session.report
    got = fetch_document(session, url, "status_list")
    if got is not None and got.data is not None and got.cached:  # a cached list lives no longer than its ttl
        ttl = got.data.get("credentialSubject", {})
        ttl = ttl.get("ttl") if isinstance(ttl, Mapping) else None
        if isinstance(ttl, int) and not isinstance(ttl, bool) and ttl >= 0:
            got = fetch_document(session, url, "status_list", max_age=ttl / 1000)
    if got is None:
        return None
    report.ok("status_list", f"status list credential {url}", url=url)
    child = _child(session)
    if got.text is not None:
        data = check_jwt_proof(child, got.text, f"status list {url}")
    else:
        data = got.data
        if data is not None:
            check_data_integrity(child, data, f"status list {url}")
    failed = [c for c in child.report.checks if not c.passed]
    if data is None or failed:
        report.fail("status_list_proof", f"the status list {url} is not validly signed by its issuer: "
                    + "; ".join(c.message for c in failed), url=url)
        return None
    list_issuer = issuer_id(data)
    if issuer is not None and list_issuer != issuer:
        report.fail("status_list_proof", f"the status list is issued by {list_issuer!r}, not by the credential's "
                    f"issuer {issuer!r}", url=url)
        return None
    report.ok("status_list_proof", f"the status list is signed by issuer {list_issuer}")
    now = session.options.now or utc_now()
    start, end = parse_datetime(data.get("validFrom")), parse_datetime(data.get("validUntil"))
    if start is not None and start > now + timedelta(seconds=session.options.clock_skew):
        report.fail("status_list_window", f"the status list is valid only from {start.isoformat()}", url=url)
        return None
    if end is not None and end <= now:
        report.fail("status_list_window", f"the status list expired on {end.isoformat()}: its status is stale",
                    url=url)
        return None
    report.ok("status_list_window", "the status list is current")
    return data


def _bitstring_status(session: Session, entry: Mapping[str, Any], issuer: str | None) -> None:
    report = session.report
    purpose, url, raw_index = entry.get("statusPurpose"), entry.get("statusListCredential"), entry.get("statusListIndex")
    if isinstance(raw_index, str) and _INDEX.fullmatch(raw_index):
        index = int(raw_index)
    elif isinstance(raw_index, int) and not isinstance(raw_index, bool):
        index = raw_index
    else:  # int() also took " 7", "+7", "0_7" and "٧" (an Arabic-Indic 7) as 7
        index = -1
    if not is_http_url(url) or index < 0 or not isinstance(purpose, str):
        report.fail("credential_status", "the status entry needs statusPurpose, a non-negative statusListIndex "
                    "and an http(s) statusListCredential", entry=dict(entry))
        return
    assert isinstance(url, str)
    data = _status_list_credential(session, url, issuer)
    if data is None:
        report.fail("credential_status", f"the {purpose} status cannot be read from {url}", url=url)
        return
    subject = data.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    if subject.get("statusPurpose") != purpose:
        report.fail("credential_status", f"the list's statusPurpose {subject.get('statusPurpose')!r} is not the "
                    f"entry's {purpose!r}", url=url)
        return
    if entry.get("statusSize", 1) not in (1, "1"):
        report.fail("credential_status", "status entries of more than one bit are not supported", url=url)
        return
    try:
        bits = BitstringStatusList.decode(subject.get("encodedList"))  # type: ignore[arg-type]
        flagged = bits.get(index)
    except OpenBadgesError as exc:
        report.fail("credential_status", f"the status list cannot be read: {exc.message}", url=url, code=exc.code)
        return
    if not flagged:
        report.ok("credential_status", f"{purpose}: not set (index {index} of {url})", purpose=purpose,
                  index=index)
    elif purpose == "revocation":
        report.revoked = True
        report.fail("credential_status", f"the credential is revoked (index {index} of {url})",
                    purpose=purpose, index=index)
    elif purpose == "suspension":
        report.fail("credential_status", f"the credential is suspended (index {index} of {url})",
                    purpose=purpose, index=index)
    else:
        report.fail("credential_status", f"the {purpose} status is set (index {index} of {url})",
                    level="warning", purpose=purpose, index=index)


def _legacy_status(session: Session, entry: Mapping[str, Any], credential: Mapping[str, Any]) -> None:
    """``1EdTechRevocationList``: a document at ``id`` whose ``revokedCredentials`` name revoked ids."""
    report = session.report
    url = entry.get("id")
    if not is_http_url(url):
        report.fail("credential_status", f"1EdTechRevocationList id {url!r} is not an http(s) URL")
        return
    assert isinstance(url, str)
    got = fetch_document(session, url, "status_list")
    if got is None or got.data is None:
        report.fail("credential_status", f"the revocation list {url} cannot be read, so revocation is unknown")
        return
    report.ok("status_list", f"revocation list {url}", url=url)
    wanted = credential.get("id")
    for item in as_list(got.data.get("revokedCredentials")):
        name = item.get("id") if isinstance(item, Mapping) else item
        if name == wanted and isinstance(wanted, str):
            reason = item.get("revocationReason") if isinstance(item, Mapping) else None
            report.revoked = True
            report.revocation_reason = reason if isinstance(reason, str) else None
            report.fail("credential_status", f"the credential is on the issuer's revocation list {url}"
                        + (f": {reason}" if isinstance(reason, str) else ""), url=url, reason=report.revocation_reason)
            return
    report.ok("credential_status", f"the credential is not on the revocation list {url}")


def _status(session: Session, credential: Mapping[str, Any]) -> None:
    entries = as_list(credential.get("credentialStatus"))
    if not entries:
        session.report.ok("credential_status", "the credential declares no status")
        return
    for entry in entries[:4]:
        kinds = [t for t in as_list(entry.get("type")) if isinstance(t, str)] if isinstance(entry, Mapping) else []
        if not isinstance(entry, Mapping):
            session.report.fail("credential_status", "credentialStatus entries must be objects")
        elif _STATUS_ENTRY_TYPES & set(kinds):
            _bitstring_status(session, entry, issuer_id(credential))
        elif _LEGACY_STATUS in kinds:
            _legacy_status(session, entry, credential)
        else:
            session.report.fail("credential_status", f"unsupported status type {kinds!r}: the status is unknown",
                                level="warning")


# --- other rules ----------------------------------------------------------------------------------
def _version(session: Session, credential: Mapping[str, Any]) -> bool:
    report = session.report
    report.version = "3.0"
    contexts = context_urls(credential)
    if not any(c in VC_CONTEXTS for c in contexts):
        report.fail("ob_version", f"@context {contexts!r} does not start with a W3C credentials context")
        return False
    if not any("/ob/v3p0/" in c for c in contexts):
        report.fail("ob_version", f"@context {contexts!r} names no Open Badges 3.0 context")
        return False
    vc = "1.1" if "https://www.w3.org/2018/credentials/v1" in contexts else "2.0"
    report.ok("ob_version", f"Open Badges 3.0 (Verifiable Credentials {vc})", vc_version=vc)
    return True


def _subject(session: Session, credential: Mapping[str, Any]) -> None:
    report = session.report
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    if not subjects:
        report.fail("credential_subject", "the credential has no credentialSubject")
    elif all(isinstance(s.get("id"), str) or s.get("identifier") for s in subjects):
        report.ok("credential_subject", "the credential subject has an id or identifier")
    else:
        report.fail("credential_subject", "the credential subject has neither an id nor an identifier")


def _from_claim(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 253402300800:
        return None
    return datetime.fromtimestamp(value, UTC).isoformat()


def _window(session: Session, credential: Mapping[str, Any], claims: Mapping[str, Any]) -> None:
    """``valid_from`` / ``valid_until`` from the credential (VC 2.0 or 1.1 names), else the JWT nbf/exp."""
    report = session.report
    now = session.options.now or utc_now()
    skew = timedelta(seconds=session.options.clock_skew)
    raw_start = credential.get("validFrom", credential.get("issuanceDate", _from_claim(claims, "nbf")))
    raw_end = credential.get("validUntil", credential.get("expirationDate", _from_claim(claims, "exp")))
    start = parse_datetime(raw_start)
    if raw_start is not None and start is None:
        report.fail("valid_from", f"validFrom {raw_start!r} is not an ISO 8601 date-time")
    elif start is not None and start > now + skew:
        report.fail("valid_from", f"the credential is not valid before {start.isoformat()}",
                    valid_from=start.isoformat())
    else:
        report.ok("valid_from", f"valid from {start.isoformat()}" if start else "no validFrom")
    end = parse_datetime(raw_end)
    if raw_end is None:
        report.ok("valid_until", "the credential does not expire")
    elif end is None:
        report.fail("valid_until", f"validUntil {raw_end!r} is not an ISO 8601 date-time")
    elif end <= now - skew:
        report.expired = True
        report.fail("valid_until", f"the credential expired on {end.isoformat()}", valid_until=end.isoformat())
    else:
        report.ok("valid_until", f"valid until {end.isoformat()}")


_IDENTITY_TYPES = {"emailAddress": "email", "url": "url", "phone": "telephone", "telephone": "telephone"}


def _recipient(session: Session, credential: Mapping[str, Any], recipient: str | None) -> None:
    if recipient is None:
        return
    report = session.report
    candidates: list[Mapping[str, Any]] = []
    for subject in as_list(credential.get("credentialSubject")):
        if not isinstance(subject, Mapping):
            continue
        for ident in as_list(subject.get("identifier")):
            if isinstance(ident, Mapping) and isinstance(ident.get("identityHash"), str):
                kind = ident.get("identityType")
                candidates.append({"type": _IDENTITY_TYPES.get(kind, kind) if isinstance(kind, str) else "email",
                                   "identity": ident["identityHash"], "hashed": ident.get("hashed") is True,
                                   "salt": ident.get("salt")})
        sid = subject.get("id")
        if isinstance(sid, str):
            if sid.startswith("mailto:"):
                candidates.append({"type": "email", "identity": sid[7:]})
            else:
                candidates.append({"type": "url", "identity": sid})
    matched = any(identity_matches(c, recipient) for c in candidates)
    report.recipient_match = matched
    if matched:
        report.ok("recipient", "the credential was awarded to this recipient")
    else:
        report.fail("recipient", "the credential was not awarded to this recipient"
                    + ("" if candidates else " (it names no identifier)"))


def _child(session: Session) -> Session:
    return session.child(VerificationReport(input_kind="embedded"))


def _endorsements(session: Session, credential: Mapping[str, Any]) -> None:
    """Each endorsement (``endorsement`` / ``endorsementJwt`` on the credential, its achievement and its
    issuer) is verified on its own; a bad one is a warning on the endorsed credential."""
    found: list[Any] = []
    holders: list[Any] = [credential, credential.get("issuer")]
    for subject in as_list(credential.get("credentialSubject")):
        if isinstance(subject, Mapping):
            holders.append(subject.get("achievement"))
    for holder in holders:
        if isinstance(holder, Mapping):
            found += [e for e in as_list(holder.get("endorsement")) if isinstance(e, Mapping)]
            found += [e for e in as_list(holder.get("endorsementJwt")) if isinstance(e, str)]
    if session.depth >= _MAX_DEPTH:
        return
    for item in found[:_MAX_ENDORSEMENTS]:
        child = _child(session)
        if isinstance(item, str):
            verify_credential_jwt(child, item, None)
        else:
            verify_credential_json(child, item, None)
        sub = child.report
        name = sub.assertion.get("id") if isinstance(sub.assertion, Mapping) else None
        detail = {"id": name, "checks": [c.to_dict() for c in sub.checks]}
        if sub.valid and sub.assertion is not None and "EndorsementCredential" in as_list(sub.assertion.get("type")):
            session.report.ok("endorsement", f"endorsement {name} verifies", **detail)
        else:
            why = "; ".join(c.message for c in sub.errors[:3]) or "it is not an EndorsementCredential"
            session.report.fail("endorsement", f"endorsement {name} does not verify: {why}", level="warning",
                                **detail)
    if len(found) > _MAX_ENDORSEMENTS:
        session.report.fail("endorsement", f"only the first {_MAX_ENDORSEMENTS} of {len(found)} endorsements "
                            "were verified", level="warning")


# --- flows ----------------------------------------------------------------------------------------
def _common_head(session: Session, credential: Mapping[str, Any]) -> bool:
    report = session.report
    report.assertion = dict(credential)
    issuer = credential.get("issuer")
    report.issuer = dict(issuer) if isinstance(issuer, Mapping) else None
    subject = credential.get("credentialSubject")
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    report.badge = dict(achievement) if isinstance(achievement, Mapping) else None
    if not _version(session, credential):
        return False
    record_validation(report, "validate_credential", "the credential (OB 3.0 JSON Schema)",
                      credential_issues(schema_view(credential)))
    _subject(session, credential)
    return True


def _common_tail(session: Session, credential: Mapping[str, Any], recipient: str | None,
                 claims: Mapping[str, Any] | None = None) -> None:
    if credential.get("refreshService") is not None:
        session.report.ok("refresh_service", "the credential names a refresh service (not followed)")
    _status(session, credential)
    _window(session, credential, claims or {})
    _recipient(session, credential, recipient)
    _endorsements(session, credential)


def verify_credential_json(session: Session, credential: Mapping[str, Any], recipient: str | None) -> None:
    """Verify an OB 3.0 credential given as JSON (its proof must be an embedded Data Integrity proof)."""
    session.report.verification_type = "DataIntegrity"
    if not _common_head(session, credential):
        return
    check_data_integrity(session, credential)
    _common_tail(session, credential, recipient)


def verify_credential_jwt(session: Session, token: str, recipient: str | None) -> None:
    """Verify an OB 3.0 credential given as a VC-JWT (VC 2.0 or VC 1.1 form)."""
    report = session.report
    report.verification_type = "VC-JWT"
    got = decode_jws_object(report, "jwt_decode", token, "JWT")
    if got is None:
        return
    data = got[2]
    credential = data["vc"] if isinstance(data.get("vc"), Mapping) else {
        k: v for k, v in data.items() if k not in ("iss", "jti", "sub", "nbf", "exp", "iat", "aud")}
    report.ok("jwt_decode", "compact VC-JWT" + (" (VC 1.1 vc claim)" if "vc" in data else ""))
    if not _common_head(session, credential):
        return
    verified = check_jwt_proof(session, token)
    if verified is not None:
        credential = verified
    _common_tail(session, credential, recipient, data)


def verify_credential_url(session: Session, url: str, recipient: str | None, response: FetchResponse) -> None:
    """An OB 3.0 credential fetched from ``url`` (JSON or a JWT body)."""
    session.report.ok("fetch_assertion", f"fetched the credential from {response.url}", url=response.url)
    data = parse_json_object(response.body)
    if data is not None:
        verify_credential_json(session, data, recipient)
    else:
        verify_credential_jwt(session, response.body.decode("utf-8", "replace").strip(), recipient)

