"""listing: the issuer-wide recipient index also orders by creation (issuer_id, recipient_plaintext, created_at, id),
so a recipient's assertions are found and paged without walking the issuer's

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = 'ix_assertions_issuer_recipient'


def upgrade() -> None:
    op.drop_index(_NAME, table_name='assertions')
    op.create_index(_NAME, 'assertions', ['issuer_id', 'recipient_plaintext', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index(_NAME, table_name='assertions')
    op.create_index(_NAME, 'assertions', ['issuer_id', 'recipient_plaintext'], unique=False)
