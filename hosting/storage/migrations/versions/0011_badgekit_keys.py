"""badgekit: the BadgeKit API's shared-secret keys (name, encrypted secret, optional system = issuer)

Revision ID: 0011_badgekit_keys
Revises: 0010_public_changes
Create Date: 2026-12-03 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_badgekit_keys'
down_revision: str | None = '0010_public_changes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'badgekit_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('secret_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('system_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['system_id'], ['issuers.id'], name='fk_badgekit_keys_system_id_issuers'),
        sa.PrimaryKeyConstraint('id', name='pk_badgekit_keys'),
        sa.UniqueConstraint('name', name='uq_badgekit_keys_name'),
    )


def downgrade() -> None:
    op.drop_table('badgekit_keys')
