"""badge classes: Credly template fields (reporting tags, global activity URL, badges issued as accepted)

Revision ID: 0013_credly_templates
Revises: 0012_badge_class_expires
Create Date: 2026-12-03 16:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013_credly_templates'
down_revision: str | None = '0012_badge_class_expires'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('badge_classes') as batch:
        batch.add_column(sa.Column('reporting_tags', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('global_activity_url', sa.String(length=2048), nullable=True))
        batch.add_column(sa.Column('issued_as_accepted', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('badge_classes') as batch:
        batch.drop_column('issued_as_accepted')
        batch.drop_column('global_activity_url')
        batch.drop_column('reporting_tags')
