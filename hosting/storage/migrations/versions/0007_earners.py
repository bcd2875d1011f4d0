"""earners: acceptance states (pending/rejected), state_updated_at, recipient_name_shown, claim codes and
accept tokens; a badge class's default acceptance

Revision ID: 0007_earners
Revises: 0006
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_earners'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('claim_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('badge_class_id', sa.Integer(), nullable=False),
    sa.Column('multiuse', sa.Boolean(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['badge_class_id'], ['badge_classes.id'],
                            name=op.f('fk_claim_codes_badge_class_id_badge_classes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_codes')),
    sa.UniqueConstraint('code', name=op.f('uq_claim_codes_code'))
    )
    with op.batch_alter_table('claim_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_codes_badge_class_id'), ['badge_class_id'], unique=False)

    with op.batch_alter_table('assertions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recipient_name_shown', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('claim_code_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_assertions_claim_code_id_claim_codes'), 'claim_codes',
                                    ['claim_code_id'], ['id'])
    # Existing rows: their state last changed when the row did (revoked, replaced), else when issued.
    op.execute("UPDATE assertions SET state_updated_at = COALESCE(updated_at, issued_on)")
    with op.batch_alter_table('assertions', schema=None) as batch_op:
        batch_op.alter_column('state_updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)

    with op.batch_alter_table('badge_classes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acceptance', sa.String(length=16), nullable=False,
                                      server_default='issuer'))

    op.create_table('accept_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assertion_id'], ['assertions.id'],
                            name=op.f('fk_accept_tokens_assertion_id_assertions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accept_tokens')),
    sa.UniqueConstraint('nonce', name=op.f('uq_accept_tokens_nonce')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_accept_tokens_token_hash'))
    )
    with op.batch_alter_table('accept_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accept_tokens_assertion_id'), ['assertion_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('accept_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accept_tokens_assertion_id'))
    op.drop_table('accept_tokens')
    with op.batch_alter_table('badge_classes', schema=None) as batch_op:
        batch_op.drop_column('acceptance')
    op.execute("UPDATE assertions SET state = 'revoked' WHERE state IN ('pending', 'rejected')")
    with op.batch_alter_table('assertions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_assertions_claim_code_id_claim_codes'), type_='foreignkey')
        batch_op.drop_column('claim_code_id')
        batch_op.drop_column('recipient_name_shown')
        batch_op.drop_column('state_updated_at')
    with op.batch_alter_table('claim_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_codes_badge_class_id'))
    op.drop_table('claim_codes')
