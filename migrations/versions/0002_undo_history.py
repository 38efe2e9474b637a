"""undo history in the database, ids never reused, memo versions

Revision ID: 0002_undo_history
Revises: 0001_baseline
Create Date: 2026-12-03 17:00:00

- On SQLite every table whose ids the event log, the undo history or a screen refers to
  becomes AUTOINCREMENT (a table rebuild, rows kept), and its sequence starts above the
  highest id it ever had — including ids that only the event log still remembers — so a
  deleted code's id is never given to a new code.
- ``memos`` get ``version`` (stale saves are refused) and ``updated_by_id`` (who saved last).
- ``events`` get ``history_id``: the undoable step a change belongs to.
- ``history``: each coder's undo/redo stack.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002_undo_history"
down_revision: str | None = "0001_baseline"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEVER_REUSED = (
    "coders",
    "documents",
    "sentences",
    "codes",
    "codings",
    "document_reviews",
    "relations",
    "memos",
    "events",
)

# Which payload keys of which events name an id of which table (ids only the log remembers).
LOGGED_IDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # table: (event action prefixes, payload keys)
    "codes": (
        ("code.", "coding.", "relation."),
        ("code_id", "source_id", "target_id", "new_code_id", "old_parent", "new_parent"),
    ),
    "memos": (("memo.",), ("memo_id",)),
    "relations": (("relation.",), ("relation_id",)),
    "documents": (("document.", "review."), ("document_id",)),
}


def _logged_max(connection: sa.Connection, table: str) -> int:
    prefixes, keys = LOGGED_IDS.get(table, ((), ()))
    if not prefixes:
        return 0
    import json

    highest = 0
    for action, payload in connection.exec_driver_sql("SELECT action, payload FROM events"):
        if not action.startswith(prefixes):
            continue
        data: Any = json.loads(payload) if isinstance(payload, str) else payload
        if not isinstance(data, dict):
            continue
        for key in keys:
            value = data.get(key)
            if isinstance(value, int) and value > highest:
                highest = value
    return highest


def upgrade() -> None:
    autoincrement = {"sqlite_autoincrement": True}
    with op.batch_alter_table("memos", table_kwargs=autoincrement) as batch_op:
        batch_op.add_column(sa.Column("updated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.create_foreign_key(
            batch_op.f("fk_memos_updated_by_id_coders"), "coders", ["updated_by_id"], ["id"], ondelete="SET NULL"
        )
    op.execute("UPDATE memos SET updated_by_id = coder_id")

    with op.batch_alter_table("events", table_kwargs=autoincrement) as batch_op:
        batch_op.add_column(sa.Column("history_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_history_id"), ["history_id"], unique=False)

    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        for table in NEVER_REUSED:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass
            highest = max(
                connection.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar() or 0,
                _logged_max(connection, table),
            )
            connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
            connection.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, highest))

    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coder_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("state IN ('done', 'undone')", name=op.f("ck_history_state")),
        sa.ForeignKeyConstraint(
            ["coder_id"], ["coders.id"], name=op.f("fk_history_coder_id_coders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_history_coder_state", "history", ["coder_id", "state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_history_coder_state", table_name="history")
    op.drop_table("history")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_history_id"))
        batch_op.drop_column("history_id")
    with op.batch_alter_table("memos") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_memos_updated_by_id_coders"), type_="foreignkey")
        batch_op.drop_column("version")
        batch_op.drop_column("updated_by_id")
