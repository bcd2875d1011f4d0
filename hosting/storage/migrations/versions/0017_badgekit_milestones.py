"""badge classes: BadgeKit milestones (the milestones of which the badge class is the primary badge, as JSON)

Revision ID: 0017_badgekit_milestones
Revises: 0016_created_by
Create Date: 2026-12-03 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_badgekit_milestones'
down_revision: str | None = '0016_created_by'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('badge_classes') as batch:
        batch.add_column(sa.Column('milestones', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('badge_classes') as batch:
        batch.drop_column('milestones')
