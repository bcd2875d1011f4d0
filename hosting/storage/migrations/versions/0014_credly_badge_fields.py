"""assertions: Credly's issue fields kept as given (first and last names apart, the issuer's user id, the issue
email suppressed) and an index for the user id filter

Revision ID: 0014_credly_badge_fields
Revises: 0013_credly_templates
Create Date: 2026-12-03 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014_credly_badge_fields'
down_revision: str | None = '0013_credly_templates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = 'ix_assertions_issuer_external_user'


def upgrade() -> None:
    with op.batch_alter_table('assertions') as batch:
        batch.add_column(sa.Column('recipient_first_name', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('recipient_last_name', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('external_user_id', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('notification_suppressed', sa.Boolean(), nullable=True))
    op.create_index(_INDEX, 'assertions', ['issuer_id', 'external_user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(_INDEX, table_name='assertions')
    with op.batch_alter_table('assertions') as batch:
        batch.drop_column('notification_suppressed')
        batch.drop_column('external_user_id')
        batch.drop_column('recipient_last_name')
        batch.drop_column('recipient_first_name')
