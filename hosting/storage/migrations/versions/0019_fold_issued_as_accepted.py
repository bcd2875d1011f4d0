"""badge classes: one acceptance setting — Credly's ``issued_as_accepted`` folds into ``acceptance``

``acceptance`` (0008) said who accepts the assertions ``/v1`` issues by default ('issuer': active at once;
'earner': pending until the earner accepts); ``issued_as_accepted`` (0013) said the same thing for Credly's
issue (true: accepted at issue; false: pending). The two defaults differed (/v1: issuer; Credly: pending), so
the folded ``acceptance`` becomes nullable: NULL means "not set", each API applying its own documented default
(``/v1``, Badgr, BadgeKit: the issuer; Credly: the earner, pending). Credly's ``badges_issued_as_accepted`` now
reads ``acceptance = 'issuer'``.

Upgrade, per row (acceptance, issued_as_accepted) → acceptance:

* ('issuer', false) → NULL: both at their defaults (every row nobody changed); nothing changes in either API.
* ('issuer', true) → 'issuer'; ('earner', false) → 'earner': the two agree.
* ('earner', true) → 'earner': they disagree (both set, contradicting each other). Pending wins: nothing gets
  published without its earner's consent; /v1 keeps its behaviour, Credly issues pending badges until the
  template is set to issue accepted again. This is the only case where an API's behaviour changes.

Downgrade: NULL → ('issuer', false), 'issuer' → ('issuer', true), 'earner' → ('earner', false) — exactly the
rows the upgrade made, except a disagreeing row, which comes back as ('earner', false).

SQLite and PostgreSQL alike, in place (no table copy): the new column is added beside the old one, filled,
the old ones are dropped and the new one takes the name ``acceptance``.

Revision ID: 0019_fold_issued_as_accepted
Revises: 0018_credly_local_dates
Create Date: 2026-12-03 18:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019_fold_issued_as_accepted'
down_revision: str | None = '0018_credly_local_dates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW = 'acceptance_folded'
_badges = sa.table('badge_classes', sa.column('acceptance', sa.String(16)),
                   sa.column('issued_as_accepted', sa.Boolean()), sa.column(_NEW, sa.String(16)))


def _swap_in_new_column(*drop: str) -> None:
    """Drop ``acceptance`` (and ``drop``) and give the filled new column its name."""
    for column in ('acceptance', *drop):
        op.drop_column('badge_classes', column)
    op.execute(f"ALTER TABLE badge_classes RENAME COLUMN {_NEW} TO acceptance")


def upgrade() -> None:
    op.add_column('badge_classes', sa.Column(_NEW, sa.String(length=16), nullable=True))
    op.execute(_badges.update().values({_NEW: sa.case(
        (_badges.c.acceptance == 'earner', 'earner'),
        (_badges.c.issued_as_accepted == sa.true(), 'issuer'),
        else_=sa.null())}))
    _swap_in_new_column('issued_as_accepted')


def downgrade() -> None:
    op.add_column('badge_classes', sa.Column('issued_as_accepted', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.add_column('badge_classes', sa.Column(_NEW, sa.String(length=16), nullable=False,
                                             server_default='issuer'))
    op.execute(_badges.update().values({
        _NEW: sa.func.coalesce(_badges.c.acceptance, 'issuer'),
        'issued_as_accepted': sa.case((_badges.c.acceptance == 'issuer', sa.true()), else_=sa.false())}))
    _swap_in_new_column()
