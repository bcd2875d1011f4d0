"""public_changes: a one-row counter bumped by every transaction that changes a public answer, so every app
process on the same SQLite file drops its cached public answers within a poll (hosting/public/invalidation.py).

Revision ID: 0010_public_changes
Revises: 0009_baked
Create Date: 2026-12-03 14:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_public_changes'
down_revision: str | None = '0009_baked'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table('public_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_changes'))
    )
    op.bulk_insert(table, [{'id': 1, 'version': 0}])


def downgrade() -> None:
    op.drop_table('public_changes')
