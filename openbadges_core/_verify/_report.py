"""The verification report: every check that ran, with a stable name, a level and a human message."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openbadges_core._verify._registry import DEFAULT_LEVELS, CheckLevel

__all__ = ["Check", "CheckLevel", "VerificationReport"]

#: Checks that tie a valid signature to the issuer; when only these fail the status is ``issuer_unconfirmed``.
_ISSUER_CHECKS = frozenset({"issuer_key", "key_ownership"})
_SIGNATURE_CHECKS = frozenset({"proof", "jws_signature"})

@dataclass(frozen=True, slots=True)
class Check:
    """One check the verifier ran.

    ``name`` is a registered, stable :class:`CheckName` (``fetch_assertion``, ``hosted_scope``, ...; any
    other name raises ``ValueError``), ``level`` says how much a failure weighs (``error`` makes the report
    invalid, ``warning`` does not, ``info`` is a note) and ``passed`` whether the rule held. ``detail``
    carries machine-readable extras (URLs, codes, issues).
    """

    name: str
    level: CheckLevel
    message: str
    passed: bool = True
    detail: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.name not in DEFAULT_LEVELS:
            raise ValueError(f"{self.name!r} is not a registered check name (see CheckName)")

    @property
    def failed(self) -> bool:
        """The rule did not hold (an error or a warning)."""
        return not self.passed

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "level": self.level, "passed": self.passed,
                                "message": self.message}
        if self.detail:
            data["detail"] = self.detail
        return data


#: A message, or a function that writes it: messages of checks nobody reads are never formatted.
Message = str | Callable[[], str]
_Row = tuple[str, CheckLevel, Message, bool, "dict[str, Any] | None"]


def _check(row: _Row) -> Check:
    name, level, message, passed, detail = row
    return Check(name, level, message if isinstance(message, str) else message(), passed, detail)


@dataclass(slots=True)
class VerificationReport:
    """The verdict on one input and how it was reached.

    ``valid`` is true when no check failed at ``error`` level. ``assertion``, ``badge`` and ``issuer`` are
    the documents that were verified (JSON mappings as fetched or decoded), ``None`` when not reached.
    ``checks`` lists every check that ran (built when first read: a verification records plain rows).
    """

    version: str | None = None
    verification_type: str | None = None
    input_kind: str | None = None
    assertion: dict[str, Any] | None = None
    badge: dict[str, Any] | None = None
    issuer: dict[str, Any] | None = None
    revoked: bool = False
    revocation_reason: str | None = None
    expired: bool = False
    recipient_match: bool | None = None
    _rows: list[_Row] = field(default_factory=list, init=False, repr=False)
    _built: list[Check] = field(default_factory=list, init=False, repr=False, compare=False)
    #: how many rows are failures at error level (kept by add/ok/fail: ``valid`` reads it, no scan)
    _errors: int = field(default=0, init=False, repr=False, compare=False)

    @property
    def checks(self) -> list[Check]:
        """Every check that ran, in order (a fresh list: record checks with :meth:`add`/:meth:`ok`/:meth:`fail`)."""
        built, rows = self._built, self._rows
        if len(built) < len(rows):
            built.extend(_check(row) for row in rows[len(built):])
        return list(built)

    @property
    def valid(self) -> bool:
        """No check failed at error level."""
        return self._errors == 0

    @property
    def errors(self) -> list[Check]:
        """Failed checks at error level."""
        return [c for c in self.checks if c.level == "error" and not c.passed]

    @property
    def warnings(self) -> list[Check]:
        """Failed checks at warning level."""
        return [c for c in self.checks if c.level == "warning" and not c.passed]

    def check(self, name: str) -> Check | None:
        """The last check run under ``name``, or ``None``."""
        for c in reversed(self.checks):
            if c.name == name:
                return c
        return None

    def add(self, name: str, level: CheckLevel, message: Message, *, passed: bool = True,
            **detail: Any) -> None:
        """Record a check."""
        if name not in DEFAULT_LEVELS:
            raise ValueError(f"{name!r} is not a registered check name (see CheckName)")
        self._rows.append((name, level, message, passed, detail or None))
        if not passed and level == "error":
            self._errors += 1

    def ok(self, name: str, message: Message, **detail: Any) -> None:
        """Record a check that passed."""
        if name not in DEFAULT_LEVELS:
            raise ValueError(f"{name!r} is not a registered check name (see CheckName)")
        self._rows.append((name, "info", message, True, detail or None))

    def fail(self, name: str, message: Message, *, level: CheckLevel | None = None, **detail: Any) -> None:
        """Record a check that failed, at the check's registered level unless ``level`` says otherwise."""
        registered = DEFAULT_LEVELS.get(name)
        if registered is None:
            raise ValueError(f"{name!r} is not a registered check name (see CheckName)")
        level = level or registered
        self._rows.append((name, level, message, False, detail or None))
        if level == "error":
            self._errors += 1

    # --- for the verifier's memo of linked-document checks (see _chain) ---------------------------
    def _mark(self) -> int:
        """A position in the rows, for :meth:`_rows_since`."""
        return len(self._rows)

    def _rows_since(self, mark: int, end: int | None = None) -> tuple[_Row, ...] | None:
        """Copies of the rows recorded from ``mark`` (to ``end``) when every one of them passed and carries
        only flat string details; else ``None`` (such rows are not worth replaying)."""
        rows = self._rows[mark:end]
        for row in rows:
            if not row[3] or (row[4] is not None and not all(type(v) is str for v in row[4].values())):
                return None
        return tuple((name, level, message, passed, dict(detail) if detail else None)
                     for name, level, message, passed, detail in rows)

    def _replay(self, rows: tuple[_Row, ...]) -> None:
        """Record passed rows kept by :meth:`_rows_since` (each with its own copy of the details)."""
        self._rows.extend([(name, level, message, passed, dict(detail) if detail else None)
                           for name, level, message, passed, detail in rows])

    @property
    def status(self) -> str:
        """One word: ``valid``, ``revoked``, ``expired``, ``issuer_unconfirmed`` or ``invalid``.

        ``issuer_unconfirmed``: the signature is valid, but nothing shows the signing key is the issuer's
        (not published by the issuer, not pinned) — and nothing else is wrong. Not valid.
        """
        if self.revoked:
            return "revoked"
        if self.expired:
            return "expired"
        failed = [row[0] for row in self._rows if row[1] == "error" and not row[3]]
        if not failed:
            return "valid"
        if all(name in _ISSUER_CHECKS for name in failed) and any(
                row[0] in _SIGNATURE_CHECKS and row[3] for row in self._rows):
            return "issuer_unconfirmed"
        return "invalid"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form of the whole report."""
        return {
            "valid": self.valid,
            "status": self.status,
            "version": self.version,
            "verificationType": self.verification_type,
            "inputKind": self.input_kind,
            "revoked": self.revoked,
            "revocationReason": self.revocation_reason,
            "expired": self.expired,
            "recipientMatch": self.recipient_match,
            "assertion": self.assertion,
            "badge": self.badge,
            "issuer": self.issuer,
            "checks": [c.to_dict() for c in self.checks],
        }
