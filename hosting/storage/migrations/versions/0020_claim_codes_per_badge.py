"""claim codes: unique per badge class (``badge_class_id``, ``code``) instead of server-wide

A server-wide unique ``code`` made every issuer's codes one namespace: creating a code another issuer held
answered 409, an oracle telling one tenant which guessable codes ("SPRING-2026") the others hold. The claim
page's new URL names the badge class (``/claim/{badge}/{code}``); ``code`` keeps a plain index for the legacy
``/claim/{code}`` links (:func:`hosting.earners.codes.find_legacy_code`).

Upgrade: nothing to rewrite (unique codes are unique per badge class). Downgrade: refused while two badge
classes hold the same code (restoring the server-wide constraint would have to rename or drop one of them,
which changes a code somebody was given): withdraw or delete one of each pair first.

SQLite: batch mode (a copy of ``claim_codes``; its ids stay, so ``assertions.claim_code_id`` keeps pointing at
the same rows). PostgreSQL: in place.

Revision ID: 0020_claim_codes_per_badge
Revises: 0019_fold_issued_as_accepted
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020_claim_codes_per_badge'
down_revision: str | None = '0019_fold_issued_as_accepted'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('claim_codes', schema=None) as batch_op:
        batch_op.drop_constraint('uq_claim_codes_code', type_='unique')
        batch_op.create_unique_constraint('uq_claim_codes_badge_class_id_code', ['badge_class_id', 'code'])
        batch_op.create_index('ix_claim_codes_code', ['code'], unique=False)
        batch_op.drop_index('ix_claim_codes_badge_class_id')  # the unique key's leading column serves its lookups


def downgrade() -> None:
    shared = op.get_bind().execute(sa.text(
        "SELECT code FROM claim_codes GROUP BY code HAVING COUNT(*) > 1 ORDER BY code")).scalars().all()
    if shared:
        listed = ", ".join(shared[:10]) + (", …" if len(shared) > 10 else "")
        raise RuntimeError(f"cannot downgrade: {len(shared)} claim code(s) are held by more than one badge class "
                           f"({listed}); delete all but one row of each first")
    with op.batch_alter_table('claim_codes', schema=None) as batch_op:
        batch_op.create_index('ix_claim_codes_badge_class_id', ['badge_class_id'], unique=False)
        batch_op.drop_index('ix_claim_codes_code')
        batch_op.drop_constraint('uq_claim_codes_badge_class_id_code', type_='unique')
        batch_op.create_unique_constraint('uq_claim_codes_code', ['code'])
