"""Open Badges 3.0: bundled JSON-LD contexts, RDF canonicalization, Data Integrity proofs."""
