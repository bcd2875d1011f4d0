"""baked images are no longer stored: a public GET bakes on request into an in-memory cache
(hosting/public/baking.py), so it never writes. The stored baked images, ``assertions.baked_image_id`` and
``images.source_etag`` go.

Revision ID: 0009_baked
Revises: 0008_earners
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_baked'
down_revision: str | None = '0008_earners'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FK = 'fk_assertions_baked_image_id_images'


def _defer_foreign_keys() -> None:
    """SQLite recreates ``assertions`` to drop a column (batch mode): other tables (and the table itself) refer
    to it, so the foreign keys are checked at COMMIT, when the new table holds every row again."""
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('PRAGMA defer_foreign_keys = ON')


def upgrade() -> None:
    _defer_foreign_keys()
    # Only baked images carry a source ETag (artwork has none); unlink them, then delete them.
    op.execute("UPDATE assertions SET baked_image_id = NULL WHERE baked_image_id IS NOT NULL")
    op.execute("DELETE FROM images WHERE source_etag IS NOT NULL")
    with op.batch_alter_table('assertions') as batch:
        batch.drop_constraint(_FK, type_='foreignkey')
        batch.drop_column('baked_image_id')
    with op.batch_alter_table('images') as batch:
        batch.drop_column('source_etag')


def downgrade() -> None:
    _defer_foreign_keys()
    with op.batch_alter_table('images') as batch:
        batch.add_column(sa.Column('source_etag', sa.String(length=64), nullable=True))
    with op.batch_alter_table('assertions') as batch:
        batch.add_column(sa.Column('baked_image_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(_FK, 'images', ['baked_image_id'], ['id'])
