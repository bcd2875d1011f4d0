"""badge classes: Badgr's expires (amount + duration), the default lifetime of assertions issued via /v2

Revision ID: 0012_badge_class_expires
Revises: 0011_badgekit_keys
Create Date: 2026-12-03 15:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012_badge_class_expires'
down_revision: str | None = '0011_badgekit_keys'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('badge_classes') as batch:
        batch.add_column(sa.Column('expires_amount', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('expires_duration', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('badge_classes') as batch:
        batch.drop_column('expires_duration')
        batch.drop_column('expires_amount')
