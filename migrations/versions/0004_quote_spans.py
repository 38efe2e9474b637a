"""quote spans: a coding may name the exact words it codes inside its statement

Revision ID: 0004_quote_spans
Revises: 0003_statement_attributes
Create Date: 2026-12-03 19:10:00

- ``codings`` get ``quote_start`` and ``quote_end``: ``[start, end)`` code points into the
  statement's text; both NULL (every existing coding) means the whole statement. Rows kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_quote_spans"
down_revision: str | None = "0003_statement_attributes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUOTE_CHECK = "(quote_start IS NULL AND quote_end IS NULL) OR (quote_start >= 0 AND quote_start < quote_end)"


def upgrade() -> None:
    with op.batch_alter_table("codings", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.add_column(sa.Column("quote_start", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("quote_end", sa.Integer(), nullable=True))
        batch_op.create_check_constraint("quote", sa.text(QUOTE_CHECK))


def downgrade() -> None:
    with op.batch_alter_table("codings", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_codings_quote"), type_="check")
        batch_op.drop_column("quote_end")
        batch_op.drop_column("quote_start")
