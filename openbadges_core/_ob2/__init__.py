"""Open Badges 2.0 documents as frozen, typed objects (compact JSON-LD in and out); the public home is
:mod:`openbadges_core.ob2`."""
