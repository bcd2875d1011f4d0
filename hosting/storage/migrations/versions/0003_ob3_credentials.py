"""Open Badges 3.0: assertions can be OB 3.0 credentials (format, proof, bitstring status index, the signed credential)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assertions') as batch:
        batch.add_column(sa.Column('format', sa.String(length=8), nullable=False, server_default='ob2'))
        batch.add_column(sa.Column('proof_type', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('status_index', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('credential', sa.LargeBinary(), nullable=True))
        batch.create_unique_constraint('uq_assertions_issuer_status_index', ['issuer_id', 'status_index'])


def downgrade() -> None:
    with op.batch_alter_table('assertions') as batch:
        batch.drop_constraint('uq_assertions_issuer_status_index', type_='unique')
        batch.drop_column('credential')
        batch.drop_column('status_index')
        batch.drop_column('proof_type')
        batch.drop_column('format')
