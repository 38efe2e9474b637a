"""Schema versions: Alembic revisions applied from a checkout or an installed wheel.

Opening an older SQLite project upgrades it after copying it to a backup file; on
PostgreSQL the upgrade is an explicit ``qcoder db upgrade``. A database written by a
newer qcoder (a revision this copy does not know) is refused.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from qcoder.errors import SchemaMismatch

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def migrations_dir() -> Path:
    """``qcoder/_migrations`` in a wheel, the top-level ``migrations/`` in a checkout."""
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise SchemaMismatch("qcoder's migration scripts are missing; reinstall qcoder")


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def backup_sqlite(path: Path, tag: str) -> Path:
    """Copy a SQLite project (consistently, via the online backup API) next to itself."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{tag}-{stamp}{path.suffix or '.db'}")
    source = sqlite3.connect(str(path))
    try:
        dest = sqlite3.connect(str(target))
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
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


