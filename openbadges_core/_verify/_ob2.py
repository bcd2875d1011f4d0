"""The two OB 2.0 verification flows: hosted (fetch from ``id``) and signed (JWS + issuer key)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openbadges_core._errors import OpenBadgesError
from openbadges_core._jws import verify_jws_payload
from openbadges_core._net import FetchResponse
from openbadges_core._verify._chain import remember_chain, remembered_chain
from openbadges_core._verify._checks import (
    as_list,
    check_badge_image,
    check_dates,
    check_hosted_scope,
    check_recipient,
    find_revocation,
    find_revocation_indexed,
    index_revocations,
    utc_now,
)
from openbadges_core._verify._session import (
    JSON_MEDIA_TYPES,
    LinkedDocument,
    Session,
    cached_document_issues,
    decode_jws_object,
    document_issues_of,
    has_type,
    is_http_url,
    parse_json_object,
    record_validation,
)

__all__ = ["verify_hosted", "verify_hosted_json", "verify_signed"]

_OB2_CONTEXTS = frozenset({"https://w3id.org/openbadges/v2", "https://openbadgespec.org/v2/context.json"})


def _verification_type(assertion: Mapping[str, Any]) -> str | None:
    verification = assertion.get("verification")
    if not (type(verification) is dict or isinstance(verification, Mapping)):
        return None
    kind = verification.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    return kind if isinstance(kind, str) else None


_VERIFICATION_TYPES = {"hosted": "HostedBadge", "hostedbadge": "HostedBadge", "signed": "SignedBadge",
                       "signedbadge": "SignedBadge"}


def _normalise_type(kind: str | None) -> str | None:
    if kind is None:
        return None
    return _VERIFICATION_TYPES.get(kind.lower(), kind)


def check_version(session: Session, assertion: Mapping[str, Any]) -> bool:
    """``ob_version``: the assertion is Open Badges 2.0."""
    report = session.report
    context = assertion.get("@context")
    if type(context) is str and context in _OB2_CONTEXTS:  # the common case, without building lists
        report.version = "2.0"
        report.ok("ob_version", "Open Badges 2.0")
        return True
    contexts = [c for c in as_list(context) if isinstance(c, str)]
    if any(c in _OB2_CONTEXTS for c in contexts):
        report.version = "2.0"
        report.ok("ob_version", "Open Badges 2.0")
        return True
    if any("credentials" in c or "/ob/v3" in c for c in contexts) or isinstance(assertion.get("vc"), Mapping):
        report.version = "3.0"
        report.fail("ob_version", "this is an Open Badges 3.0 credential; this verifier checks Open Badges 2.0")
        return False
    if any("openbadges/v1" in c for c in contexts):
        report.version = "1.1"
        report.fail("ob_version", "Open Badges 1.x assertions are not supported")
        return False
    report.fail("ob_version", f"unknown @context {assertion.get('@context')!r}; expected https://w3id.org/openbadges/v2")
    return False


_CHECK_NAMES = {"badge": ("fetch_badge", "validate_badge"), "issuer": ("fetch_issuer", "validate_issuer")}


def _linked(session: Session, value: object, expected_type: str, what: str) -> dict[str, Any] | None:
    """Resolve a BadgeClass/Issuer that is an IRI or embedded; fetch it when it has an http(s) id."""
    fetch_check, validate_check = _CHECK_NAMES.get(what) or (f"fetch_{what}", f"validate_{what}")
    report = session.report
    url = value if type(value) is str else (
        value.get("id") if (type(value) is dict or isinstance(value, Mapping)) else value)
    if is_http_url(url):
        assert isinstance(url, str)
        doc = _at_own_id(session, url, expected_type, fetch_check)
        if doc is None:
            return None
        if doc.notes:
            _replay(session, doc, fetch_check)
        record_validation(report, validate_check, f"{expected_type} {doc.url}", doc.issues)
        return doc.data
    if type(value) is dict or isinstance(value, Mapping):
        data = dict(value)
        report.ok(fetch_check, f"{expected_type} is embedded in the assertion", source="embedded")
        record_validation(report, validate_check, f"embedded {expected_type}",
                          document_issues_of({"@context": "https://w3id.org/openbadges/v2", **data},
                                             expected_type))
        return data
    report.fail(fetch_check, f"{what} {value!r} is neither an http(s) URL nor an embedded {expected_type}")
    return None


def _at_own_id(session: Session, url: str, expected_type: str, check: str) -> LinkedDocument | None:
    """The issuer profile, badge class or key at ``url``, trusted only as a document fetched at its own
    ``id``: a document declaring another id is fetched again there and that copy used (as the IMS
    reference validator does); if that fails, it is an error. A redirect's target counts as fetched at.
    Otherwise ``http://attacker/i.json`` could declare ``"id": "https://victim.example/issuer"``."""
    doc = session.linked(url, expected_type, check)
    if doc is None:
        return None
    declared = doc.data.get("id")
    if declared == url or (doc.fetched_from and declared == doc.fetched_from):
        return doc
    report = session.report
    if isinstance(declared, str) and is_http_url(declared):
        again = session.linked(declared, expected_type, check)
        if again is not None and again.data.get("id") == declared:
            report.fail(check, f"{url} serves a {expected_type} whose id is {declared}; the copy fetched at "
                        f"{declared} is used", level="warning", url=url, declared=declared)
            return again
    report.fail(check, f"{url} serves a {expected_type} whose id is {declared!r}, which does not serve it: "
                "a document speaks only for the URL it is fetched from", code="id_mismatch", url=url,
                declared=declared)
    return None


def _replay(session: Session, doc: LinkedDocument, check: str) -> None:
    for note in doc.notes:
        session.report.fail(check, note, level="warning")


def _badge_and_issuer(session: Session, assertion: Mapping[str, Any]) -> tuple[dict[str, Any] | None,
                                                                                  dict[str, Any] | None]:
    report = session.report
    badge = _linked(session, assertion.get("badge"), "BadgeClass", "badge")
    report.badge = badge
    if badge is None:
        return None, None
    check_badge_image(report, badge)
    issuer = _linked(session, badge.get("issuer"), "Issuer", "issuer")
    report.issuer = issuer
    return badge, issuer


def _common(session: Session, assertion: Mapping[str, Any], recipient: str | None) -> None:
    options = session.options
    check_dates(session.report, assertion, options.now or utc_now(), options.clock_skew)
    if recipient is not None:
        check_recipient(session.report, assertion, recipient)


# --- hosted ---------------------------------------------------------------------------------------
def _revoked_hosted(session: Session, body: dict[str, Any] | None, why: str) -> None:
    report = session.report
    report.revoked = True
    reason = body.get("revocationReason") if body else None
    report.revocation_reason = reason if isinstance(reason, str) else None
    if body and body.get("type") is not None:
        report.assertion = body
    report.fail("revocation", f"the assertion is revoked ({why})"
                + (f": {report.revocation_reason}" if report.revocation_reason else ""),
                reason=report.revocation_reason)


def _fetch_assertion(session: Session, url: str,
                     first: FetchResponse | None = None) -> tuple[str, dict[str, Any]] | None:
    """Fetch a hosted assertion (``first``: already fetched); (the id that is checked, document) or
    ``None`` when verification stops."""
    report = session.report
    res = first if first is not None else session.fetch(url, "fetch_assertion")
    if res is None:
        return None
    body = parse_json_object(res.body)
    if res.status_code == 410:
        report.ok("fetch_assertion", f"{url} answered 410 Gone", status=410)
        _revoked_hosted(session, body, "HTTP 410 Gone")
        return None
    if res.status_code != 200:
        report.fail("fetch_assertion", f"{url} answered HTTP {res.status_code}, not 200", code="http_status",
                    status=res.status_code, url=url)
        return None
    if res.media_type not in JSON_MEDIA_TYPES:
        report.fail("fetch_assertion", f"{url} is served as {res.media_type or 'no content type'}, "
                    "not application/ld+json or application/json", code="content_type", url=url)
        return None
    if body is None:
        report.fail("fetch_assertion", f"{url} did not return a JSON object", code="not_json", url=url)
        return None
    report.ok("fetch_assertion", f"fetched the assertion from {res.url}", url=res.url,
              redirects=list(res.redirects))
    if body.get("revoked") is True:
        _revoked_hosted(session, body, "the hosted assertion says revoked: true")
        return None
    declared = body.get("id")
    if declared == url:
        report.ok("assertion_id", "the assertion declares the URL it was fetched from")
        return url, body
    if not isinstance(declared, str) or not is_http_url(declared):
        report.fail("assertion_id", f"the hosted assertion's id {declared!r} is not an http(s) URL")
        return None
    if declared == res.url:
        report.fail("assertion_id", f"{url} redirected to {declared}, which the assertion declares as its id; "
                    f"{declared} is checked", level="warning", requested=url, declared=declared)
        return declared, body
    # The document declares yet another id: it must be hosted there too.
    again = session.fetch(declared, "assertion_id")
    if again is None:
        return None
    again_body = parse_json_object(again.body)
    if again.status_code == 410:
        _revoked_hosted(session, again_body, f"HTTP 410 Gone at its declared id {declared}")
        return None
    if (again.status_code != 200 or again_body is None or again_body.get("id") != declared
            or again.media_type not in JSON_MEDIA_TYPES):
        report.fail("assertion_id", f"fetched from {res.url} but it declares id {declared}, which does not "
                    "serve the same assertion", requested=url, declared=declared)
        return None
    report.fail("assertion_id", f"fetched from {res.url} but it declares id {declared}; the assertion at "
                f"{declared} is checked", level="warning", requested=url, declared=declared)
    if again_body.get("revoked") is True:
        _revoked_hosted(session, again_body, "the hosted assertion says revoked: true")
        return None
    return declared, again_body


def verify_hosted(session: Session, url: str, recipient: str | None,
                  provided: Mapping[str, Any] | None = None, provided_from: str = "",
                  first: FetchResponse | None = None) -> None:
    """Verify a hosted assertion fetched from ``url`` (``first``: the response, when already fetched);
    ``provided`` is a copy the caller held."""
    report = session.report
    report.verification_type = "HostedBadge"
    got = _fetch_assertion(session, url, first)
    if got is None:
        return
    assertion_id, assertion = got
    report.assertion = assertion
    if provided is not None:
        if dict(provided) == assertion:
            report.ok("hosted_copy", f"the {provided_from} copy matches the hosted assertion")
        else:
            report.fail("hosted_copy", f"the {provided_from} copy differs from the hosted assertion; "
                        "the hosted copy is verified", level="warning")
    if not check_version(session, assertion):
        return
    record_validation(report, "validate_assertion", "the assertion", document_issues_of(assertion, "Assertion"))
    kind = _normalise_type(_verification_type(assertion))
    if kind != "HostedBadge":
        report.fail("verification_type", f"the hosted assertion declares verification type {kind!r}, "
                    "not HostedBadge")
    else:
        report.ok("verification_type", "HostedBadge")
    _badge, issuer = _badge_and_issuer(session, assertion)
    if issuer is not None:
        check_hosted_scope(report, assertion_id, issuer)
    _common(session, assertion, recipient)


def verify_hosted_json(session: Session, assertion: Mapping[str, Any], recipient: str | None,
                       provided_from: str) -> None:
    """An assertion handed over as JSON (or baked as JSON): hosted ones are re-fetched from their id."""
    report = session.report
    report.assertion = dict(assertion)
    if not has_type(assertion, "Assertion"):
        if check_version(session, assertion):
            report.fail("validate_assertion", f"the input is a {assertion.get('type')!r}, not an Assertion")
        return
    kind = _normalise_type(_verification_type(assertion))
    if kind == "SignedBadge":
        report.verification_type = "SignedBadge"
        check_version(session, assertion)
        report.fail("jws_signature", "a signed assertion must be verified from its compact JWS, "
                    "not from its JSON")
        return
    if kind != "HostedBadge":
        report.fail("verification_type", f"unknown verification type {kind!r}; expected HostedBadge or "
                    "SignedBadge")
        return
    url = assertion.get("id")
    if not is_http_url(url):
        report.verification_type = "HostedBadge"
        report.fail("fetch_assertion", f"a hosted assertion's id must be an http(s) URL, not {url!r}")
        return
    assert isinstance(url, str)
    verify_hosted(session, url, recipient, provided=assertion, provided_from=provided_from)


# --- signed ---------------------------------------------------------------------------------------
def _key_ownership(session: Session, key: LinkedDocument, creator: str, issuer: Mapping[str, Any]) -> bool:
    report = session.report
    issuer_id = issuer.get("id")
    listed = []
    for entry in as_list(issuer.get("publicKey")):
        listed.append(entry if type(entry) is str else entry.get("id") if (
            type(entry) is dict or isinstance(entry, Mapping)) else entry)
    owner = key.data.get("owner")
    if owner is None:
        report.fail("key_ownership", f"key {creator} names no owner, so it cannot be linked to issuer {issuer_id}")
        return False
    if owner != issuer_id:
        report.fail("key_ownership", f"key {creator} is owned by {owner!r}, not by issuer {issuer_id!r}")
        return False
    if creator not in listed:
        report.fail("key_ownership", f"issuer {issuer_id} does not list key {creator} in publicKey")
        return False
    report.ok("key_ownership", f"key {creator} and issuer {issuer_id} name each other")
    return True


def _revocation_list(session: Session, assertion: Mapping[str, Any],
                     issuer: Mapping[str, Any]) -> LinkedDocument | None:
    """``revocation_list`` (after fetching and validating the list); the list checked against, if any."""
    report = session.report
    url = issuer.get("revocationList")
    if url is None:
        report.ok("revocation_list", "the issuer publishes no revocation list")
        return None
    if not is_http_url(url):
        report.fail("revocation_list", f"revocationList {url!r} is not an http(s) URL")
        return None
    assert isinstance(url, str)
    doc = session.linked(url, "RevocationList", "fetch_revocation_list")
    if doc is None:
        report.fail("revocation_list", "the revocation list could not be read, so revocation is unknown")
        return None
    if doc.notes:
        _replay(session, doc, "fetch_revocation_list")
    record_validation(report, "validate_revocation_list", f"RevocationList {url}", doc.issues)
    _check_revoked(session, assertion, doc)
    return doc


def _check_revoked(session: Session, assertion: Mapping[str, Any], doc: LinkedDocument) -> None:
    """``revocation_list``: whether the assertion (its id or uid) is on the list ``doc``."""
    report = session.report
    assertion_id, uid = assertion.get("id"), assertion.get("uid")
    ids = {v for v in (assertion_id, uid) if isinstance(v, str)} if uid is not None else (
        {assertion_id} if isinstance(assertion_id, str) else set())
    if doc.revocations is None:  # cached documents keep their index across verifications
        index = index_revocations(doc.data)
        doc.revocations = False if index is None else index
    if doc.revocations is False:
        revoked, reason = find_revocation(doc.data, ids)
    else:
        revoked, reason = find_revocation_indexed(doc.revocations, ids)
    if revoked:
        report.revoked = True
        report.revocation_reason = reason
        report.fail("revocation_list", "the assertion is on the issuer's revocation list"
                    + (f": {reason}" if reason else ""), reason=reason)
    else:
        report.ok("revocation_list", "the assertion is not on the issuer's revocation list")


def verify_signed(session: Session, token: str, recipient: str | None, *,
                  decoded: tuple[dict[str, Any], bytes, dict[str, Any] | None] | None = None) -> None:
    """Verify a compact JWS of a SignedBadge assertion. ``decoded``: the token's (header, payload, payload
    object) already decoded in this verification (the object is this call's own), else decoded here."""
    report = session.report
    report.verification_type = "SignedBadge"
    got = decode_jws_object(report, "jws_decode", token, "JWS", decoded=decoded)
    if got is None:
        return
    header, payload, assertion = got
    report.ok("jws_decode", lambda: f"compact JWS, header alg {header.get('alg')!r}")
    report.assertion = assertion
    if not check_version(session, assertion):
        return
    record_validation(report, "validate_assertion", "the assertion",
                      cached_document_issues(assertion, "Assertion", payload))
    kind = _normalise_type(_verification_type(assertion))
    verification = assertion.get("verification")
    creator = verification.get("creator") if (type(verification) is dict or isinstance(verification, Mapping)) else None
    if kind != "SignedBadge":
        report.fail("verification_type", f"a JWS carries an assertion with verification type {kind!r}, "
                    "not SignedBadge")
        return
    report.ok("verification_type", "SignedBadge")
    if not is_http_url(creator):
        report.fail("fetch_key", f"verification.creator {creator!r} is not an http(s) URL of a key")
        return
    assert isinstance(creator, str)
    badge_ref = assertion.get("badge")
    chain = remembered_chain(session, creator, badge_ref)
    key_rows = None
    if chain is not None:  # the linked documents' checks, as when the cache first served these documents
        key = chain[1]
        report._replay(chain[0].key_rows)
    else:
        key_mark = report._mark()
        found = _at_own_id(session, creator, "CryptographicKey", "fetch_key")
        if found is None:
            report.fail("jws_signature", "the signature cannot be checked without the issuer's key")
            return
        key = found
        if key.notes:
            _replay(session, key, "fetch_key")
        record_validation(report, "validate_key", f"CryptographicKey {creator}", key.issues)
        key_rows = report._rows_since(key_mark)
    if key.public_key is None:
        report.fail("jws_signature", key.key_error or "the key cannot be loaded")
        return
    try:
        verified_payload = verify_jws_payload(token, key.public_key)
    except OpenBadgesError as exc:
        report.fail("jws_signature", f"the signature does not verify with key {creator}: {exc.message}")
        return
    except Exception as exc:  # noqa: BLE001 - hostile key material
        report.fail("jws_signature", f"the signature cannot be verified: {type(exc).__name__}")
        return
    if verified_payload != payload:  # pragma: no cover - same token, same bytes
        report.fail("jws_signature", "the verified payload differs from the decoded one")
        return
    report.ok("jws_signature", lambda: f"signature verified with key {creator} ({key.public_key.alg})",
              alg=key.public_key.alg)
    if chain is not None:
        memo, _key, badge, issuer_doc, revocations = chain
        report._replay(memo.linked_rows)
        report.badge, report.issuer = badge.data, issuer_doc.data
        if revocations is not None:
            _check_revoked(session, assertion, revocations)
    else:
        linked_mark = report._mark()
        _badge, issuer = _badge_and_issuer(session, assertion)
        if issuer is not None:
            _key_ownership(session, key, key.url, issuer)
            revocations = _revocation_list(session, assertion, issuer)
            remember_chain(session, creator, badge_ref, key, key_rows, linked_mark,
                           -1 if revocations is not None else None, revocations)
    _common(session, assertion, recipient)
