"""created_by on issuers, badge classes and assertions: the email of whoever made the row (Badgr's createdBy).

Existing issuers take their first owner's email (the creator becomes owner on /v1 and /v2); existing badge
classes and assertions stay unknown (null).

Revision ID: 0016_created_by
Revises: 0015_badgekit_hierarchy
Create Date: 2026-12-03 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016_created_by'
down_revision: str | None = '0015_badgekit_hierarchy'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ('issuers', 'badge_classes', 'assertions')


def upgrade() -> None:
    for name in _TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column('created_by', sa.String(length=320), nullable=True))
    issuers = sa.table('issuers', sa.column('id', sa.Integer()), sa.column('created_by', sa.String()))
    staff = sa.table('issuer_staff', sa.column('id', sa.Integer()), sa.column('issuer_id', sa.Integer()),
                     sa.column('email', sa.String()), sa.column('role', sa.String()),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    first_owner = (sa.select(staff.c.email).where(staff.c.issuer_id == issuers.c.id, staff.c.role == 'owner')
                   .order_by(staff.c.created_at, staff.c.id).limit(1).scalar_subquery())
    op.execute(issuers.update().values(created_by=first_owner))


def downgrade() -> None:
    for name in reversed(_TABLES):
        with op.batch_alter_table(name) as batch:
            batch.drop_column('created_by')
