"""statement attributes: speaker, time, page, source row, heading level

Revision ID: 0003_statement_attributes
Revises: 0002_undo_history
Create Date: 2026-12-03 19:20:00

- ``sentences.attributes``: a JSON object of the statement's own attributes (who speaks and
  when, the page or spreadsheet row it came from, a heading's level), besides the
  document's attributes (the case). Existing statements get ``{}``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_statement_attributes"
down_revision: str | None = "0002_undo_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sentences") as batch_op:
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("sentences") as batch_op:
        batch_op.drop_column("attributes")
