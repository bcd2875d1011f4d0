"""Credly (Acclaim) compatibility API under ``/v1/organizations`` (see ``docs/compat-credly.md``)."""
