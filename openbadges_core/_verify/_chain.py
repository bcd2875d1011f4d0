"""A memo of the checks on a signed badge's linked documents, for the documents the cache serves.

Verifying a signed OB 2.0 assertion checks four linked documents: its key (``fetch_key``,
``validate_key``), badge class, issuer and revocation list (``fetch_badge`` ... ``key_ownership``,
``fetch_revocation_list``, ``validate_revocation_list``). With the documents in the
:class:`~openbadges_core.DocumentCache`, those checks give the same rows every time: they depend on the
four URLs and the four documents only. So after a verification whose four documents all came from the
cache and whose linked checks all passed, the rows are remembered with the documents they were made from,
and replayed while the cache serves *the very same document objects* (identity, not equality: a document
that expired, was refetched or replaced is a new object, and the checks run again).

What is not remembered runs on every verification: the assertion's own checks, the signature, whether
the assertion is on the revocation list, dates and recipient. Preloaded documents
(``VerifyOptions.documents``) and embedded badge classes or issuers are never remembered; nor is a chain
with any failed check or warning. Entries hold the documents weakly (a document the cache dropped frees
its entry) and there are at most :data:`_CHAINS_MAX` of them.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, TypeAlias

from openbadges_core._verify._report import VerificationReport, _Row
from openbadges_core._verify._session import LinkedDocument, Session

__all__ = ["Chain", "remember_chain", "remembered_chain"]

_Ref: TypeAlias = "weakref.ref[LinkedDocument]"


@dataclass(frozen=True, slots=True)
class Chain:
    """The linked documents of signed badges with one key and one badge class, and their check rows."""

    key: _Ref
    badge: _Ref
    issuer: _Ref
    issuer_url: str
    revocations: _Ref | None
    revocation_url: str | None
    #: ``fetch_key``, ``validate_key``
    key_rows: tuple[_Row, ...]
    #: ``fetch_badge`` ... ``validate_revocation_list`` (or ``revocation_list`` when none is published)
    linked_rows: tuple[_Row, ...]


_CHAINS: dict[tuple[str, str, str], Chain] = {}
_CHAINS_MAX = 256


def _usable(session: Session, badge_ref: Any) -> bool:
    return session.cache is not None and not session.options.documents and type(badge_ref) is str


def remembered_chain(session: Session, creator: str, badge_ref: Any) -> tuple[Chain, LinkedDocument,
                                                                              LinkedDocument, LinkedDocument,
                                                                              LinkedDocument | None] | None:
    """The remembered chain for key ``creator`` and badge class ``badge_ref`` with its documents (key,
    badge class, issuer, revocation list), when the cache still serves exactly those documents."""
    if not _usable(session, badge_ref):
        return None
    chain = _CHAINS.get((session.policy, creator, badge_ref))
    if chain is None:
        return None
    cache, policy = session.cache, session.policy
    assert cache is not None
    key: LinkedDocument | None = chain.key()
    badge: LinkedDocument | None = chain.badge()
    issuer: LinkedDocument | None = chain.issuer()
    if key is None or badge is None or issuer is None:
        return None
    # The links between the documents, as when the rows were made (their dicts reach callers in reports).
    if badge.data.get("issuer") != chain.issuer_url or issuer.data.get("revocationList") != chain.revocation_url:
        return None
    # the cache must serve the very document objects the rows were made from
    served: list[tuple[str, LinkedDocument]] = [(creator, key), (badge_ref, badge), (chain.issuer_url, issuer)]
    revocations: LinkedDocument | None = None
    if chain.revocations is not None:
        revocations, revocation_url = chain.revocations(), chain.revocation_url
        if revocations is None or revocation_url is None:
            return None
        served.append((revocation_url, revocations))
    if not cache._serves_all(policy, served):
        return None
    return chain, key, badge, issuer, revocations


def remember_chain(session: Session, creator: str, badge_ref: Any, key: LinkedDocument,
                   key_rows: tuple[_Row, ...] | None, linked_mark: int, linked_end: int | None,
                   revocations: LinkedDocument | None) -> None:
    """Remember the rows of a verification's linked checks (``key_rows``, and the report's rows from
    ``linked_mark`` to ``linked_end``) when its four documents all came from the cache and every row passed."""
    report: VerificationReport = session.report
    if key_rows is None or not _usable(session, badge_ref) or report.badge is None or report.issuer is None:
        return
    hits = session.cache_hits
    badge, issuer_url = hits.get(badge_ref), report.badge.get("issuer")
    issuer = hits.get(issuer_url) if type(issuer_url) is str else None
    revocation_url = report.issuer.get("revocationList")
    if (hits.get(creator) is not key or badge is None or badge.data is not report.badge or issuer is None
            or issuer.data is not report.issuer):
        return
    if revocation_url is not None and (revocations is None or type(revocation_url) is not str
                                       or hits.get(revocation_url) is not revocations):
        return
    linked_rows = report._rows_since(linked_mark, linked_end)
    if linked_rows is None:
        return
    assert isinstance(issuer_url, str)
    chain = Chain(weakref.ref(key), weakref.ref(badge), weakref.ref(issuer), issuer_url,
                  weakref.ref(revocations) if revocations is not None else None, revocation_url,
                  key_rows, linked_rows)
    if len(_CHAINS) >= _CHAINS_MAX:
        try:
            _CHAINS.pop(next(iter(_CHAINS)), None)
        except (RuntimeError, StopIteration):  # another thread changed it meanwhile
            pass
    _CHAINS[(session.policy, creator, badge_ref)] = chain
