"""badgekit: the hierarchy — issuers inside a system (issuers.parent_id, badgekit_slug unique per system),
programs of an issuer (badgekit_programs) and a badge class's program (badge_classes.program_id)

Revision ID: 0015_badgekit_hierarchy
Revises: 0014_credly_badge_fields
Create Date: 2026-12-03 16:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015_badgekit_hierarchy'
down_revision: str | None = '0014_credly_badge_fields'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('issuers') as batch:
        batch.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('badgekit_slug', sa.String(length=50), nullable=True))
        batch.create_foreign_key('fk_issuers_parent_id_issuers', 'issuers', ['parent_id'], ['id'])
        batch.create_unique_constraint('uq_issuers_parent_badgekit_slug', ['parent_id', 'badgekit_slug'])
        batch.create_index('ix_issuers_parent_id', ['parent_id'], unique=False)
    op.create_table(
        'badgekit_programs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer_id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('url', sa.String(length=2048), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('description', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name='fk_badgekit_programs_issuer_id_issuers'),
        sa.PrimaryKeyConstraint('id', name='pk_badgekit_programs'),
        sa.UniqueConstraint('issuer_id', 'slug', name='uq_badgekit_programs_issuer_slug'),
    )
    op.create_index('ix_badgekit_programs_issuer_id', 'badgekit_programs', ['issuer_id'], unique=False)
    with op.batch_alter_table('badge_classes') as batch:
        batch.add_column(sa.Column('program_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_badge_classes_program_id_badgekit_programs', 'badgekit_programs',
                                 ['program_id'], ['id'])
        batch.create_index('ix_badge_classes_program_id', ['program_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('badge_classes') as batch:
        batch.drop_index('ix_badge_classes_program_id')
        batch.drop_constraint('fk_badge_classes_program_id_badgekit_programs', type_='foreignkey')
        batch.drop_column('program_id')
    op.drop_index('ix_badgekit_programs_issuer_id', table_name='badgekit_programs')
    op.drop_table('badgekit_programs')
    with op.batch_alter_table('issuers') as batch:
        batch.drop_index('ix_issuers_parent_id')
        batch.drop_constraint('uq_issuers_parent_badgekit_slug', type_='unique')
        batch.drop_constraint('fk_issuers_parent_id_issuers', type_='foreignkey')
        batch.drop_column('badgekit_slug')
        batch.drop_column('parent_id')
