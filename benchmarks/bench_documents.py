"""OB 2.0 document speed: validation, parsing and serialisation against baselines measured in the same run.

Baselines:
  validate   ``jsonschema`` validating the same document against our schema files as written ($refs resolved
             through a ``referencing`` registry) -- what a straightforward implementation would do. Ours adds
             every non-schema rule on top and must still be at least 2x faster (inlined, cached validators).
  parse      ``json.loads`` + that same baseline validation; ``parse_document`` also builds the typed objects.
  serialise  ``json.dumps`` of the already-built dict; ``Assertion.to_json`` builds the dict from the objects too.

Run: ``python -m benchmarks documents`` (``--quick`` for a shorter run).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from openbadges_core._resources import load_json
from openbadges_core.ob2 import document_issues, parse_document

TARGETS = {"validate": 0.5, "parse": 0.6, "serialise": 3.0}  # ours / baseline, at most

ASSERTION: dict[str, Any] = {
    "@context": "https://w3id.org/openbadges/v2",
    "type": "Assertion",
    "id": "https://badges.example.org/assertions/2f4d4f0e-0a51-4b7c-9d43-0c8d3f1b2a10",
    "recipient": {"type": "email", "hashed": True, "salt": "0a9b8c7d6e5f",
                  "identity": "sha256$ecf5409f3f4b91ab60cc5ef4c02aef7032354375e70cf4d8e43f6a1d29891942"},
    "badge": {
        "type": "BadgeClass", "id": "https://badges.example.org/badges/robotics.json",
        "name": "Awesome Robotics Badge", "description": "For building a line-following robot.",
        "image": "https://badges.example.org/badges/robotics.png",
        "criteria": {"narrative": "Build a robot and show it."},
        "issuer": {"type": "Issuer", "id": "https://badges.example.org/issuer.json", "name": "Robotics Club",
                   "url": "https://badges.example.org", "email": "badges@example.org"},
        "tags": ["robots", "stem"],
    },
    "issuedOn": "2026-01-02T03:04:05Z",
    "expires": "2028-01-02T03:04:05Z",
    "evidence": [{"id": "https://example.org/work/robot.html", "narrative": "Built a line-following robot."}],
    "verification": {"type": "HostedBadge"},
}


def _baseline_validator() -> Draft202012Validator:
    names = ("common", "assertion", "badgeclass", "issuer", "cryptographickey", "revocationlist")
    schemas = [load_json("ob2", f"{n}.schema.json") for n in names]
    registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    return Draft202012Validator(schemas[1], registry=registry)


def _paired(fns: dict[str, Callable[[], Any]], seconds: float, batch: int = 50) -> dict[str, float]:
    """Median seconds per call, timing the functions in alternating batches (fair on a shared machine)."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or min(len(s) for s in samples.values()) < 5:
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(batch):
                fn()
            samples[name].append((time.perf_counter() - start) / batch)
    return {name: statistics.median(s) for name, s in samples.items()}


def main(argv: list[str] | None = None) -> int:
    seconds = 0.5 if argv and "--quick" in argv else 2.0
    raw = json.dumps(ASSERTION).encode()
    baseline = _baseline_validator()
    assert document_issues(ASSERTION) == [] and not list(baseline.iter_errors(ASSERTION))
    doc = parse_document(raw)
    built = doc.to_dict()
    cases: dict[str, dict[str, Callable[[], Any]]] = {
        "validate": {"ours": lambda: document_issues(ASSERTION), "baseline": lambda: list(baseline.iter_errors(ASSERTION))},
        "parse": {"ours": lambda: parse_document(raw),
                  "baseline": lambda: list(baseline.iter_errors(json.loads(raw)))},
        "serialise": {"ours": doc.to_json, "baseline": lambda: json.dumps(built, separators=(",", ":"))},
    }
    status = 0
    print(f"{'case':<10} {'ours/s':>10} {'baseline/s':>11} {'ratio':>7} {'target':>7}")
    for case, fns in cases.items():
        t = _paired(fns, seconds)
        ratio = t["ours"] / t["baseline"]
        ok = ratio <= TARGETS[case]
        status |= not ok
        print(f"{case:<10} {1 / t['ours']:>10,.0f} {1 / t['baseline']:>11,.0f} {ratio:>6.2f}x {TARGETS[case]:>6.2f}x"
              f"  {'ok' if ok else 'MISSED'}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
