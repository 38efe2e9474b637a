"""scale codes and mutually exclusive sets of codes

Revision ID: 0005_scale_codes
Revises: 0004_quote_spans
Create Date: 2026-12-03 19:15:00

- ``codes.exclusive``: the children of this code are mutually exclusive (a categorical
  variable): a coder gives a statement at most one of them.
- ``codes.scale``: the children are the ordered values of a scale, at the level
  nominal, ordinal, interval or ratio (NULL: not a scale). A scale is exclusive too.
- ``codes.scale_value``: the number a scale value stands for.

Plain ADD COLUMN on both backends (no table rebuild on SQLite, AUTOINCREMENT kept).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_scale_codes"
down_revision: str | None = "0004_quote_spans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("codes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("exclusive", sa.Boolean(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("scale", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("scale_value", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("codes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_column("scale_value")
        batch_op.drop_column("scale")
        batch_op.drop_column("exclusive")
