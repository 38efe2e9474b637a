"""Where a project is: ``--db`` beats ``QCODER_DB`` beats the default project.

Free of SQLAlchemy so the workbench can find (and read) a SQLite project before the
engine has loaded; ``database.resolve_url`` builds on it for every other use.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl, quote, quote_plus, unquote

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


# SQLAlchemy's URL grammar (``sqlalchemy.engine.url._parse_url``), so a server project's
# URL can be spelled as ``database.resolve_url`` spells it without importing SQLAlchemy.
_URL = re.compile(
    r"""
    (?P<name>[\w\+]+)://
    (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
    (?:(?:\[(?P<ipv6host>[^/\?]+)\]|(?P<ipv4host>[^/:\?]+))?(?::(?P<port>[^/\?]*))?)?
    (?:/(?P<database>[^\?]*))?
    (?:\?(?P<query>.*))?
    """,
    re.X,
)


class ServerUrl(NamedTuple):
    """A server project's URL as ``database.resolve_url`` renders it, with the password hidden, and its login."""

    url: str
    shown: str  # as ``render_as_string(hide_password=True)`` shows it (the preferences' key)
    username: str | None


def server_url(value: str) -> ServerUrl | None:
    """``database.resolve_url``'s answer for a PostgreSQL URL, without SQLAlchemy; None for anything else.

    The workbench keys preferences (the coder, where they left off) by this string before
    the engine has loaded; a test holds it equal to SQLAlchemy's rendering.
    """
    found = _URL.fullmatch(value)
    if found is None:
        return None
    parts = found.groupdict()
    driver = parts["name"]
    if driver in ("postgresql", "postgres", "postgresql+psycopg2"):
        driver = "postgresql+psycopg"
    if driver != "postgresql+psycopg":
        return None
    port = parts["port"]
    if port and not port.isdigit():
        return None  # SQLAlchemy refuses it; let it say so
    username = unquote(parts["username"]) if parts["username"] is not None else None
    login = shown = ""
    if username is not None:
        login = quote(username, safe=" +")
        if parts["password"] is not None:
            shown = login + ":***@"
            login += ":" + quote(unquote(parts["password"]), safe=" +")
        else:
            shown = login + "@"
        login += "@"
    rest = ""
    host = parts["ipv4host"] or parts["ipv6host"]
    if host is not None:
        rest += f"[{host}]" if ":" in host else host
    if port:
        rest += ":" + str(int(port))
    if parts["database"] is not None:
        rest += "/" + quote(unquote(parts["database"]), safe=" +/")
    if parts["query"] is not None:
        query: dict[str, list[str]] = {}
        for key, item in parse_qsl(parts["query"]):
            query.setdefault(key, []).append(item)
        if query:
            rest += "?" + "&".join(
                f"{quote_plus(key)}={quote_plus(item)}" for key in sorted(query) for item in query[key]
            )
    prefix = driver + "://"
    return ServerUrl(prefix + login + rest, prefix + shown + rest, username)
