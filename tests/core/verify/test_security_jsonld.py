"""Issue #13 items 4 and 6: JSON-LD processing cannot be made to burn CPU or hold memory.

4. ``@context`` lists repeating the bundled contexts cost milliseconds per entry before any signature
   is looked at: refused up front; expansion and canonicalization run under the verification deadline.
6. Processed-context caches are bounded in bytes: large, distinct inline contexts are not retained.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from openbadges_core import CanonicalizationError, VerificationReport, VerifyOptions
from openbadges_core._ob3 import _canon, _contexts
from openbadges_core._ob3._canon import CanonicalizationLimits
from openbadges_core.ob3 import canonicalize
from tests.core.verify._ob3_verify_support import OB30, OfflineFetcher

VC2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OPTIONS = VerifyOptions(fetcher=OfflineFetcher(), use_cache=False)


def _simple(conformance: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((conformance / OB30 / "simple.json").read_text())
    return doc


def _verify(doc: dict[str, Any], options: VerifyOptions = OPTIONS) -> tuple[VerificationReport, float]:
    """The report and the CPU seconds it cost. This work is all CPU: counted as CPU time, a bound holds on a
    machine whose other work leaves this process a tenth of a core (where 0.1 s of CPU took 1.5 s of wall time)."""
    from openbadges_core import verify

    start = time.process_time()
    report = verify(doc, options=options)
    return report, time.process_time() - start


# --- 4. context bombs, deadline -----------------------------------------------------------------------
def test_repeated_bundled_contexts_are_refused_before_any_work(conformance: Path) -> None:
    doc = _simple(conformance)
    doc["@context"] = [VC2, OB3] + [OB3, VC2] * 1_000
    report, elapsed = _verify(doc)
    assert elapsed < 1.0
    proof = report.check("proof")
    assert proof is not None and not proof.passed
    assert "twice" in proof.message or "entries" in proof.message
    assert report.check("internal") is None


def test_sixteen_endorsements_with_distinct_bomb_lists_stay_cheap(conformance: Path) -> None:
    doc = _simple(conformance)
    endorsement = _simple(conformance)
    endorsement["type"] = ["VerifiableCredential", "EndorsementCredential"]
    doc["endorsement"] = [{**endorsement, "@context": [VC2, OB3] + [OB3, VC2] * (100 + i)} for i in range(16)]
    report, elapsed = _verify(doc)
    assert elapsed < 3.0
    assert report.check("internal") is None


def test_too_many_distinct_context_entries_are_refused() -> None:
    doc = {"@context": [VC2] + [{f"t{i}": f"https://e.org/{i}"} for i in range(40)], "id": "https://e.org/x"}
    with pytest.raises(CanonicalizationError, match="entries"):
        canonicalize(doc)


def test_canonicalization_stops_at_the_deadline() -> None:
    n = 8  # a clique of blank nodes: every permutation looks alike
    doc = {"@context": VC2, "@graph": [{"@id": f"_:b{i}", "https://e.org/p": [{"@id": f"_:b{j}"}
                                                                           for j in range(n) if j != i]}
                                       for i in range(n)]}
    limits = CanonicalizationLimits(max_n_degree_hashes=10**9, max_permutations=10**12,
                                    deadline=time.monotonic() + 0.1)
    start = time.process_time()  # CPU time, as in _verify
    with pytest.raises(CanonicalizationError) as exc:
        canonicalize(doc, limits=limits)
    assert time.process_time() - start < 1.0
    assert exc.value.code == "canonicalization_timeout"


def test_permutation_work_is_capped() -> None:
    n = 10
    doc = {"@context": VC2, "@graph": [{"@id": f"_:b{i}", "https://e.org/p": [{"@id": f"_:b{j}"}
                                                                           for j in range(n) if j != i]}
                                       for i in range(n)]}
    start = time.process_time()  # CPU time, as in _verify
    with pytest.raises(CanonicalizationError, match="work budget"):
        canonicalize(doc, limits=CanonicalizationLimits(max_n_degree_hashes=10**9))
    assert time.process_time() - start < 2.0


def test_verify_spends_no_more_than_its_deadline_on_json_ld(conformance: Path) -> None:
    doc = _simple(conformance)
    subject = doc["credentialSubject"]
    subject["achievement"]["alignment"] = [
        {"type": ["Alignment"], "targetName": f"t{i}", "targetUrl": f"https://e.org/{i}"} for i in range(3_000)]
    report, elapsed = _verify(doc, VerifyOptions(fetcher=OfflineFetcher(), use_cache=False, total_timeout=0.05))
    assert elapsed < 1.5
    proof = report.check("proof")
    assert proof is not None and not proof.passed and "deadline" in proof.message


# --- 6. cache bounds ----------------------------------------------------------------------------------
def _deep_size(root: object) -> int:
    """Bytes reachable from ``root`` (each object once): what a cache really retains."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    total = 0
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.append(vars(item))
    return total


def test_large_distinct_inline_contexts_do_not_grow_the_caches(conformance: Path) -> None:
    doc = _simple(conformance)
    doc.pop("proof")
    for i in range(120):
        inline = {f"t{i}_{j}": f"https://example.org/v{i}#t{j}" for j in range(1_000)}  # ~40 KB each
        canonicalize({**doc, "@context": [*doc["@context"], inline]})
    retained = _deep_size(_canon._PROCESSED) + _deep_size(_contexts._RESOLVED_CACHE)
    assert retained < 40 * 1024 * 1024, retained
    assert _canon._PROCESSED.bytes <= 24 * 1024 * 1024


def test_oversized_inline_context_is_refused(conformance: Path) -> None:
    doc = _simple(conformance)
    doc.pop("proof")
    inline = {f"t{j}": f"https://example.org/v#t{j}" for j in range(5_000)}
    with pytest.raises(CanonicalizationError, match="inline"):
        canonicalize({**doc, "@context": [*doc["@context"], inline]})
