"""rejected code suggestions

Revision ID: 0006_suggestions
Revises: 0005_scale_codes
Create Date: 2026-12-03 19:20:00

- ``suggestion_rejections``: a (statement, code) suggestion a coder turned down. The queue
  never offers it again, and the coder's model learns it as a negative example.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_suggestions"
down_revision: str | None = "0005_scale_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suggestion_rejections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sentence_id", sa.Integer(), nullable=False),
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sentence_id"],
            ["sentences.id"],
            name=op.f("fk_suggestion_rejections_sentence_id_sentences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["code_id"], ["codes.id"], name=op.f("fk_suggestion_rejections_code_id_codes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["coders.id"], name=op.f("fk_suggestion_rejections_coder_id_coders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_rejections")),
        sa.UniqueConstraint("sentence_id", "code_id", "coder_id", name="uq_suggestion_rejections_sentence_code_coder"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_suggestion_rejections_coder", "suggestion_rejections", ["coder_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_suggestion_rejections_coder", table_name="suggestion_rejections")
    op.drop_table("suggestion_rejections")
