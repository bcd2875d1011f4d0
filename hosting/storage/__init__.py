"""Persistence: the tables (``models``), the domain writes (``store``) and the Alembic migrations."""
