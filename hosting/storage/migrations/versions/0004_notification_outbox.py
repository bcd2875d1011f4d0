"""notifications: notification_outbox (emails to recipients, queued in the issuing transaction)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notification_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('assertion_id', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=512), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assertion_id'], ['assertions.id'], name=op.f('fk_notification_outbox_assertion_id_assertions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_outbox'))
    )
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_outbox_assertion_id'), ['assertion_id'], unique=False)
        batch_op.create_index('ix_notification_outbox_due', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_outbox_due')
        batch_op.drop_index(batch_op.f('ix_notification_outbox_assertion_id'))

    op.drop_table('notification_outbox')
