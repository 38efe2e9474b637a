"""Where a project is: ``--db`` beats ``QCODER_DB`` beats the default project.

Free of SQLAlchemy so the workbench can find (and read) a SQLite project before the
engine has loaded; ``database.resolve_url`` builds on it for every other use.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def default_project_path() -> Path:
    return Path(platformdirs.user_data_dir("qcoder", appauthor=False)) / "default.qcoder.db"


def project_value(db: str | os.PathLike[str] | None = None) -> str:
    """The project as the user named it (or the environment, or the default)."""
    return str(db) if db else os.environ.get("QCODER_DB") or str(default_project_path())


def sqlite_file(db: str | os.PathLike[str] | None = None) -> Path | None:
    """The absolute path of a SQLite project named by a path or a plain ``sqlite:///`` URL; else None."""
    value = project_value(db)
    if "://" not in value:
        return Path(value).expanduser().resolve()
    prefix = "sqlite:///"
    if value.startswith(prefix) and "?" not in value and len(value) > len(prefix) and value != f"{prefix}:memory:":
        return Path(value[len(prefix) :]).expanduser().resolve()
    return None


def sqlite_url(path: Path) -> str:
    """The URL ``database.resolve_url`` gives a SQLite project (preferences are keyed by it)."""
    return f"sqlite:///{path}"
