"""Helpers every area uses and that know no area: domain errors, ids, URLs, timestamps, HTTP caching, request
bodies, database plumbing, key encryption."""
