"""earners: acceptance states (pending/rejected), state_updated_at, recipient_name_shown, claim codes and
accept tokens; a badge class's default acceptance

Revision ID: 0008_earners
Revises: 0007_users_oauth
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_earners'
down_revision: str | None = '0007_users_oauth'
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

    # Plain ALTER TABLE … ADD COLUMN (no batch copy on SQLite: recreating ``assertions`` or ``badge_classes``
    # there would run an implicit DELETE under foreign_keys=ON, which the outbox's ON DELETE SET NULL follows).
    op.add_column('assertions', sa.Column('state_updated_at', sa.DateTime(timezone=True), nullable=False,
                                          server_default='1970-01-01 00:00:00'))
    op.add_column('assertions', sa.Column('recipient_name_shown', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))
    columns = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('assertions')}
    if 'claim_code_id' in columns:  # kept by the SQLite downgrade of releases before batch mode did it (empty)
        pass
    elif op.get_bind().dialect.name == 'sqlite':  # an inline REFERENCES: ADD COLUMN allows it, ALTER … ADD
        op.execute("ALTER TABLE assertions ADD COLUMN claim_code_id INTEGER "  # CONSTRAINT does not exist
                   "CONSTRAINT fk_assertions_claim_code_id_claim_codes REFERENCES claim_codes (id)")
    else:
        op.add_column('assertions', sa.Column('claim_code_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_assertions_claim_code_id_claim_codes'), 'assertions', 'claim_codes',
                              ['claim_code_id'], ['id'])
    # Existing rows: their state last changed when the row did (revoked, replaced), else when issued.
    op.execute("UPDATE assertions SET state_updated_at = COALESCE(updated_at, issued_on)")
    if op.get_bind().dialect.name != 'sqlite':
        op.alter_column('assertions', 'state_updated_at', server_default=None)
    op.add_column('badge_classes', sa.Column('acceptance', sa.String(length=16), nullable=False,
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
    op.execute("UPDATE assertions SET state = 'revoked' WHERE state IN ('pending', 'rejected')")
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if not sqlite:
        op.drop_constraint(op.f('fk_assertions_claim_code_id_claim_codes'), 'assertions', type_='foreignkey')
    # SQLite ≥ 3.35 drops columns in place (no table copy), except one with a REFERENCES clause.
    for table, column in (('badge_classes', 'acceptance'), ('assertions', 'state_updated_at'),
                          ('assertions', 'recipient_name_shown')):
        op.drop_column(table, column)
    if sqlite:
        # SQLite cannot drop a REFERENCES column in place: batch mode copies ``assertions`` without it (its
        # foreign key goes with it). Foreign keys are off while migrating (migration_engine), so dropping the old
        # table runs no ON DELETE action (the outbox's SET NULL); env.py checks every reference before COMMIT.
        with op.batch_alter_table('assertions') as batch:
            batch.drop_column('claim_code_id')
    else:
        op.drop_column('assertions', 'claim_code_id')
    with op.batch_alter_table('claim_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_codes_badge_class_id'))
    op.drop_table('claim_codes')
