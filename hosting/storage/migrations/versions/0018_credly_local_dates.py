"""assertions: Credly's time zone-agnostic issue and expiry dates (the calendar days of issued_at and expires_at in
the offset they were given with)

Revision ID: 0018_credly_local_dates
Revises: 0017_badgekit_milestones
Create Date: 2026-12-03 16:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_credly_local_dates'
down_revision: str | None = '0017_badgekit_milestones'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('assertions') as batch:
        batch.add_column(sa.Column('issued_date', sa.Date(), nullable=True))
        batch.add_column(sa.Column('expires_date', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assertions') as batch:
        batch.drop_column('expires_date')
        batch.drop_column('issued_date')
