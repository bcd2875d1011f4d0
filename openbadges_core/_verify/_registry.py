"""The verifier's check registry: every check name in one table, with its default level and meaning.

A :class:`~openbadges_core.Check` accepts only these names. The check table of ``docs/verification.md``
is generated from this one (:func:`write_check_table`) and a test fails when the two disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Self

__all__ = ["BEGIN_MARKER", "DEFAULT_LEVELS", "END_MARKER", "CheckLevel", "CheckName", "check_table", "render_check_table",
           "write_check_table"]

CheckLevel = Literal["error", "warning", "info"]
BEGIN_MARKER = "<!-- check-table:begin (generated from openbadges_core/_verify/_registry.py) -->"
END_MARKER = "<!-- check-table:end -->"


class CheckName(StrEnum):
    """A check the verifier runs. ``level`` is what a failure weighs unless the verifier says otherwise,
    ``spec`` the Open Badges versions it applies to and ``meaning`` the rule, in one line."""

    level: CheckLevel
    spec: str
    meaning: str

    def __new__(cls, value: str, level: CheckLevel, spec: str, meaning: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.level, member.spec, member.meaning = level, spec, meaning
        return member

    UNBAKE = ("unbake", "error", "2.0, 3.0", "a badge payload could be read from the image")
    FETCH_ASSERTION = ("fetch_assertion", "error", "2.0, 3.0",
                       ("hosted: HTTP 200, `application/ld+json` or `application/json`, a JSON object (OB 3.0: or a "
                        "JWT body), ≤ `max_redirects`"))
    JWT_DECODE = ("jwt_decode", "error", "3.0",
                  ("VC-JWT: a compact JWS whose payload is a JSON object (VC 2.0: the credential; VC 1.1: the `vc` "
                   "claim)"))
    OB_VERSION = ("ob_version", "error", "2.0, 3.0",
                  ("2.0: the OB 2.0 `@context`. 3.0: a W3C credentials context (v2, or 2018 v1 = VC 1.1) and an OB "
                   "3.0 context (`…/ob/v3p0/…`); `detail.vc_version`"))
    ASSERTION_ID = ("assertion_id", "error", "2.0",
                    ("hosted: the fetched document declares the URL it came from. After a redirect to a document "
                     "declaring the final URL: warning, the declared id is checked. A declared id elsewhere is "
                     "fetched too and must serve the same assertion (warning), else error"))
    HOSTED_COPY = ("hosted_copy", "warning", "2.0", "a baked/provided copy equals the hosted one")
    REVOCATION = ("revocation", "error", "2.0",
                  "hosted: 410 Gone or `revoked: true` → revoked, with `revocationReason`")
    VALIDATE_ASSERTION = ("validate_assertion", "error", "2.0",
                          "the assertion passes `ob2.document_issues` (schema + rules) and is an `Assertion`")
    VALIDATE_BADGE = ("validate_badge", "error", "2.0", "the badge class passes `ob2.document_issues`")
    VALIDATE_ISSUER = ("validate_issuer", "error", "2.0", "the issuer passes `ob2.document_issues`")
    VALIDATE_KEY = ("validate_key", "error", "2.0", "the `CryptographicKey` passes `ob2.document_issues`")
    VALIDATE_REVOCATION_LIST = ("validate_revocation_list", "error", "2.0",
                                "the `RevocationList` passes `ob2.document_issues`")
    VALIDATE_CREDENTIAL = ("validate_credential", "error", "3.0",
                           ("the OB 3.0 JSON Schema (1EdTech's strict \"json\" schema). VC 1.1 credentials are "
                            "checked as their VC 2.0 view (context, `issuanceDate`→`validFrom`, "
                            "`expirationDate`→`validUntil`)"))
    VERIFICATION_TYPE = ("verification_type", "error", "2.0",
                         ("the declared verification type matches how the badge was presented (a URL serving a "
                          "`SignedBadge` assertion but no JWS fails here, saying so)"))
    FETCH_SIGNED = ("fetch_signed", "error", "2.0",
                    "a URL serving a `SignedBadge` assertion answered its compact JWS to `Accept: application/jose`")
    SIGNED_COPY = ("signed_copy", "error", "2.0",
                   "that JWS signs the same assertion (`id`) as the JSON served at the URL")
    FETCH_BADGE = ("fetch_badge", "error", "2.0",
                   ("the badge class could be fetched (or was preloaded/cached/embedded). A badge class, issuer "
                    "profile or key must declare the URL it was fetched from (or the final URL after redirects); "
                    "one declaring another `id` is fetched again at that id and that copy is used (warning), else "
                    "it is an error (`id_mismatch`): a document speaks only for the URL it comes from"))
    FETCH_ISSUER = ("fetch_issuer", "error", "2.0", "the issuer could be fetched (as `fetch_badge`)")
    FETCH_KEY = ("fetch_key", "error", "2.0", "the signing key could be fetched (as `fetch_badge`)")
    FETCH_REVOCATION_LIST = ("fetch_revocation_list", "error", "2.0",
                             "the revocation list could be fetched (as `fetch_badge`)")
    HOSTED_SCOPE = ("hosted_scope", "error", "2.0",
                    ("the assertion `id` is within the issuer's policy: every given `verification.startsWith` / "
                     "`verification.allowedOrigins` holds; without them, same origin (scheme, host, port) as the "
                     "issuer `id`. URLs are compared after normalisation (dot segments and `%2e` removed), so "
                     "`…/assertions/../x` is not under `…/assertions/`"))
    JWS_DECODE = ("jws_decode", "error", "2.0", "the JWS is well formed and its payload a JSON object")
    JWS_SIGNATURE = ("jws_signature", "error", "2.0",
                     ("verified with the key named by `verification.creator`; the algorithm comes from the key "
                      "type (RSA→RS256, P-256→ES256, Ed25519→EdDSA), never the header; `none` and `HS*` are "
                      "refused"))
    KEY_OWNERSHIP = ("key_ownership", "error", "2.0",
                     "`key.owner` is the issuer **and** the issuer's `publicKey` lists the key")
    REVOCATION_LIST = ("revocation_list", "error", "2.0",
                       ("signed: the assertion (`id` or `uid`) is not in the issuer's `revocationList` (one entry "
                        "or many); an unreadable list is an error (fail closed)"))
    CREDENTIAL_SUBJECT = ("credential_subject", "error", "3.0",
                          "every `credentialSubject` has an `id` or an `identifier`")
    PROOF = ("proof", "error", "3.0",
             ("Data Integrity: every `DataIntegrityProof` (`eddsa-rdfc-2022`, `eddsa-2022`) and "
              "`Ed25519Signature2020` verifies (strict RDFC-1.0: undefined terms fail). VC-JWT: `typ` absent, "
              "`JWT`, `vc+jwt` or `vc+ld+json+jwt`; algorithm pinned by key type (`none`/`HS*`/mismatches "
              "refused); `iss`/`jti`/`sub`/`nbf`/`exp` must equal the credential's issuer id/id/subject id/dates"))
    ISSUER_KEY = ("issuer_key", "error", "3.0",
                  "the key that signed belongs to the issuer (see [below](#which-keys-count-as-the-issuers-issuer_key))")
    REFRESH_SERVICE = ("refresh_service", "info", "3.0", "noted, not followed")
    CREDENTIAL_STATUS = ("credential_status", "error", "3.0",
                         ("every `credentialStatus` entry (up to 4): `BitstringStatusListEntry` (also "
                          "`StatusList2021Entry`) or legacy `1EdTechRevocationList`. Revocation bit set → "
                          "`revoked`; suspension bit set → invalid (not revoked); other purposes → warning; "
                          "unknown status types → warning; unreadable status → error (fail closed)"))
    STATUS_LIST = ("status_list", "error", "3.0",
                   "the status list credential / revocation list could be fetched (or was preloaded/cached)")
    STATUS_LIST_PROOF = ("status_list_proof", "error", "3.0",
                         ("the list is signed (Data Integrity or VC-JWT, verified like a credential, `issuer_key` "
                          "included) **by the credential's issuer**"))
    STATUS_LIST_WINDOW = ("status_list_window", "error", "3.0",
                          "the list's `validFrom`/`validUntil` hold now (an expired list is stale: error)")
    BADGE_IMAGE = ("badge_image", "error", "2.0", "the BadgeClass has an image")
    ISSUED_ON = ("issued_on", "error", "2.0", "`issuedOn` parses and is not in the future beyond `clock_skew`")
    EXPIRY = ("expiry", "error", "2.0", "`expires` (if any) is after `issuedOn` and not past (`expired=True`)")
    VALID_FROM = ("valid_from", "error", "3.0",
                  "`validFrom`/`issuanceDate` (else JWT `nbf`) not in the future beyond `clock_skew`")
    VALID_UNTIL = ("valid_until", "error", "3.0",
                   "`validUntil`/`expirationDate` (else JWT `exp`) not past (`expired=True`)")
    RECIPIENT = ("recipient", "error", "2.0, 3.0",
                 ("with `recipient=`: 2.0: matches the recipient identity (plain, salted sha256/md5; emails trimmed "
                  "and lower-cased; constant-time). 3.0: matches a `credentialSubject.identifier` or the subject "
                  "`id` (`mailto:`)"))
    ENDORSEMENT = ("endorsement", "warning", "3.0",
                   ("each `endorsement` / `endorsementJwt` of the credential, its issuer and its achievement "
                    "verifies on its own (same flow, nested one level, up to 16); `detail` holds its checks"))
    INTERNAL = ("internal", "error", "2.0, 3.0", "an unexpected bug stopped verification (should never appear)")


#: every registered name and its default level, for a fast look-up when a check is recorded
DEFAULT_LEVELS: Mapping[str, CheckLevel] = MappingProxyType({c.value: c.level for c in CheckName})


def check_table() -> str:
    """The registry as a Markdown table (the one in ``docs/verification.md``)."""
    rows = ["| name | default level | spec | rule |", "|---|---|---|---|"]
    rows += [f"| `{c.value}` | {c.level} | {c.spec} | {c.meaning} |" for c in CheckName]
    return "\n".join(rows)


def render_check_table(text: str) -> str:
    """``text`` with the lines between :data:`BEGIN_MARKER` and :data:`END_MARKER` replaced by the table."""
    head, begin, rest = text.partition(BEGIN_MARKER)
    _, end, tail = rest.partition(END_MARKER)
    if not begin or not end:
        raise ValueError("the document has no check-table markers")
    return f"{head}{BEGIN_MARKER}\n{check_table()}\n{END_MARKER}{tail}"


def write_check_table(path: str | Path) -> bool:
    """Regenerate the check table of the Markdown file at ``path``; True when it changed."""
    target = Path(path)
    old = target.read_text(encoding="utf-8")
    new = render_check_table(old)
    if new != old:
        target.write_text(new, encoding="utf-8")
    return new != old
