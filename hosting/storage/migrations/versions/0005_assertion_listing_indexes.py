"""listing: indexes for keyset pagination of assertions (per issuer / badge class, by creation or issue time)
and the issuer-wide recipient filter

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = {
    'ix_assertions_issuer_issued': ['issuer_id', 'issued_on', 'id'],
    'ix_assertions_badge_created': ['badge_class_id', 'created_at', 'id'],
    'ix_assertions_badge_issued': ['badge_class_id', 'issued_on', 'id'],
    'ix_assertions_issuer_recipient': ['issuer_id', 'recipient_plaintext'],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, 'assertions', columns, unique=False)


def downgrade() -> None:
    for name in reversed(list(_INDEXES)):
        op.drop_index(name, table_name='assertions')
