"""Alembic environment: always driven from qcoder.store.schema with a live connection."""

from alembic import context

from qcoder.store.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - qcoder never runs alembic without a connection
    raise SystemExit("run migrations through `qcoder db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things: rebuild tables in batch mode
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
