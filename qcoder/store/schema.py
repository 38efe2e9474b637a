"""Schema versions: Alembic revisions applied from a checkout or an installed wheel.

Opening an older SQLite project upgrades it after copying it to a backup file; on
PostgreSQL the upgrade is an explicit ``qcoder db upgrade``. A database written by a
newer qcoder (a revision this copy does not know) is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from qcoder.errors import SchemaMismatch
from qcoder.store import revisions
from qcoder.store.revisions import head_revision, known_revisions, migrations_dir  # noqa: F401 - re-exported
from qcoder.store.sqlite_files import copy_sqlite, default_sqlite_target

if TYPE_CHECKING:
    from alembic.config import Config


def _config() -> Config:
    from alembic.config import Config  # alembic costs ~0.3 s to import: only when migrating

    config = Config()
    config.set_main_option("script_location", str(revisions.migrations_dir()))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    """One transaction for a migration; on SQLite with foreign keys off while it runs.

    Batch mode rebuilds a SQLite table as create-copy-drop-rename. With foreign keys on,
    the DROP deletes the old rows first and cascades: every coding, relation and memo
    that points at the table would vanish. The pragma is ignored inside a transaction,
    so it is set on the raw connection before SQLAlchemy begins; the references are
    checked before the commit, and the pooled connection gets its keys back afterwards.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        assert raw is not None  # an open connection has its driver's
        if sqlite:
            raw.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                if not sqlite:  # a migration of a big project may rightly take longer than a statement may
                    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                yield connection
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise SchemaMismatch("the schema upgrade would break references between rows; nothing was changed")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys = ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = _config()
    with _migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    config = _config()
    with _migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def backup_sqlite(path: Path, tag: str) -> Path:
    """Copy a SQLite project (consistently, via the online backup API) next to itself."""
    target = default_sqlite_target(path, tag)
    copy_sqlite(path, target)
    return target


def state(engine: Engine) -> str:
    """'empty', 'current', 'older', 'newer' or 'foreign' (tables but no qcoder revision)."""
    revision = current_revision(engine)
    if revision is None:
        return "foreign" if has_tables(engine) else "empty"
    if revision == head_revision():
        return "current"
    if revision in known_revisions():
        return "older"
    return "newer"
