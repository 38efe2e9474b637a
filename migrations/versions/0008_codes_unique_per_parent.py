"""code names are unique per parent, not per level

Revision ID: 0008_codes_unique_per_parent
Revises: 0007_team_roles
Create Date: 2026-12-03 23:10:00

Two codes may share a name when they sit under different parents (qc's demo codebook has
eight such names). ``uq_codes_name_level`` gives way to two partial unique indexes:

- ``uq_codes_name_parent``: (name, parent_id) where parent_id IS NOT NULL — one name per parent;
- ``uq_codes_top_name_level``: (name, level) where parent_id IS NULL — top codes stay unique by
  name at their level (a plain index would let NULL parents repeat a name).

Partial indexes work on every PostgreSQL qcoder supports (``NULLS NOT DISTINCT`` needs 15) and on
SQLite. Downgrade restores the old constraint, and refuses in one line while two codes of one
level share a name (rename or merge them first): the old constraint could not hold them.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from qcoder.errors import QcoderError

revision: str = "0008_codes_unique_per_parent"
down_revision: str | None = "0007_team_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _rebuild_codes(change: Callable[[BatchOperations], None]) -> None:
    """Batch-alter ``codes``; on SQLite the rebuilt table keeps its AUTOINCREMENT high-water mark,
    so a deleted code's id is never given again (the undo history refers to it)."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    highest = 0
    if sqlite:
        highest = (
            connection.exec_driver_sql(
                "SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = 'codes'"
            ).scalar()
            or 0
        )
    with op.batch_alter_table("codes", table_kwargs={"sqlite_autoincrement": True}) as batch_op:
        change(batch_op)
    if sqlite:
        highest = max(highest, connection.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM codes").scalar() or 0)
        connection.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = 'codes'")
        connection.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES ('codes', ?)", (highest,))


def upgrade() -> None:
    _rebuild_codes(lambda batch_op: batch_op.drop_constraint("uq_codes_name_level", type_="unique"))
    op.create_index(
        "uq_codes_name_parent",
        "codes",
        ["name", "parent_id"],
        unique=True,
        sqlite_where=sa.text("parent_id IS NOT NULL"),
        postgresql_where=sa.text("parent_id IS NOT NULL"),
    )
    op.create_index(
        "uq_codes_top_name_level",
        "codes",
        ["name", "level"],
        unique=True,
        sqlite_where=sa.text("parent_id IS NULL"),
        postgresql_where=sa.text("parent_id IS NULL"),
    )


def downgrade() -> None:
    clash = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT name, level, COUNT(*) FROM codes GROUP BY name, level HAVING COUNT(*) > 1 ORDER BY name, level"
            )
        )
        .all()
    )
    if clash:
        names = ", ".join(f"{name!r} (level {level}, {count} codes)" for name, level, count in clash[:5])
        more = f" and {len(clash) - 5} more" if len(clash) > 5 else ""
        raise QcoderError(
            f"cannot downgrade below 0008_codes_unique_per_parent: codes share a name at one level under different "
            f"parents: {names}{more}; rename or merge them first"
        )
    op.drop_index("uq_codes_top_name_level", table_name="codes")
    op.drop_index("uq_codes_name_parent", table_name="codes")
    _rebuild_codes(lambda batch_op: batch_op.create_unique_constraint("uq_codes_name_level", ["name", "level"]))
