"""issuer API: api_tokens, issuer_staff, deleted_issuers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('admin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index(op.f('ix_api_tokens_email'), 'api_tokens', ['email'], unique=False)
    op.create_table('issuer_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_issuer_staff_issuer_id_issuers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuer_staff')),
    sa.UniqueConstraint('issuer_id', 'email', name='uq_issuer_staff_issuer_email')
    )
    op.create_index(op.f('ix_issuer_staff_issuer_id'), 'issuer_staff', ['issuer_id'], unique=False)
    op.create_index(op.f('ix_issuer_staff_email'), 'issuer_staff', ['email'], unique=False)
    op.create_table('deleted_issuers',
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_by', sa.String(length=320), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['issuers.id'], name=op.f('fk_deleted_issuers_issuer_id_issuers')),
    sa.PrimaryKeyConstraint('issuer_id', name=op.f('pk_deleted_issuers'))
    )


def downgrade() -> None:
    op.drop_table('deleted_issuers')
    op.drop_index(op.f('ix_issuer_staff_email'), table_name='issuer_staff')
    op.drop_index(op.f('ix_issuer_staff_issuer_id'), table_name='issuer_staff')
    op.drop_table('issuer_staff')
    op.drop_index(op.f('ix_api_tokens_email'), table_name='api_tokens')
    op.drop_table('api_tokens')
