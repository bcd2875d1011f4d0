"""Open Badges 3.0 credential rules: the JSON Schema plus what it cannot say (contexts, subject identity)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openbadges_core._errors import ValidationIssue
from openbadges_core._ob3._contexts import VC1_CONTEXT, VC2_CONTEXT
from openbadges_core._ob3._schema import credential_issues

__all__ = ["credential_rule_issues", "schema_view"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def schema_view(credential: Mapping[str, Any]) -> Mapping[str, Any]:
    """A VC 1.1 credential as the VC 2.0 schema sees it (the OB 3.0 JSON Schema is written for VC 2.0):
    the 2018 context, ``issuanceDate`` and ``expirationDate`` take their VC 2.0 names."""
    contexts = _as_list(credential.get("@context"))
    if not contexts or contexts[0] != VC1_CONTEXT:
        return credential
    view = dict(credential)
    view["@context"] = [VC2_CONTEXT, *contexts[1:]]
    for old, new in (("issuanceDate", "validFrom"), ("expirationDate", "validUntil")):
        if old in view and new not in view:
            view[new] = view.pop(old)
    return view


def credential_rule_issues(credential: Mapping[str, Any]) -> list[ValidationIssue]:
    """Every rule an OB 3.0 credential (VC 2.0 or 1.1 form) breaks: its ``@context`` starts with a W3C
    credentials context and names an OB 3.0 one, each subject has an ``id`` or ``identifier``, and the
    OB 3.0 JSON Schema holds. Never raises on bad content."""
    issues: list[ValidationIssue] = []
    contexts = [c for c in _as_list(credential.get("@context")) if isinstance(c, str)]
    if not contexts or contexts[0] not in (VC2_CONTEXT, VC1_CONTEXT):
        issues.append(ValidationIssue("@context", "context", f"the first @context must be {VC2_CONTEXT} "
                                      f"(or {VC1_CONTEXT} for VC 1.1)"))
    if not any("/ob/v3p0/" in c for c in contexts):
        issues.append(ValidationIssue("@context", "context", "@context names no Open Badges 3.0 context "
                                      "(https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json)"))
    for i, subject in enumerate(_as_list(credential.get("credentialSubject"))):
        if isinstance(subject, Mapping) and not isinstance(subject.get("id"), str) and not subject.get("identifier"):
            issues.append(ValidationIssue(f"credentialSubject.{i}" if isinstance(credential.get(
                "credentialSubject"), list) else "credentialSubject", "subject_identity",
                "the credential subject needs an id or an identifier"))
    return issues + credential_issues(schema_view(credential))
