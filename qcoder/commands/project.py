"""The project itself: ``init``, ``settings``, ``freeze``, ``db upgrade|check|backup``, ``backup``.

Annotations are evaluated eagerly (no ``from __future__ import annotations``): typer reads them.
"""

import json
from datetime import UTC
from pathlib import Path
from typing import Annotated

import typer

from qcoder.commands.common import DbOption, FormatOption, fail, project


def init(db: DbOption = None) -> None:
    """Create a project (or check an existing one is usable)."""
    from qcoder.store.database import shown_url

    with project(db) as opened:
        typer.echo(f"project ready: {shown_url(opened.url)}")


def settings(
    key: Annotated[str | None, typer.Argument(help="Setting to show or change")] = None,
    value: Annotated[str | None, typer.Argument(help='New value as JSON (e.g. true, ["新质生产力"])')] = None,
    db: DbOption = None,
) -> None:
    """Show or change project settings (level ladder, split options, user dictionary…)."""
    from qcoder.store.settings import all_settings, get_setting, set_setting

    with project(db) as opened:
        if key is None:
            with opened.session() as session:
                for name, current in all_settings(session).items():
                    typer.echo(f"{name} = {json.dumps(current, ensure_ascii=False)}")
            return
        if value is None:
            with opened.session() as session:
                typer.echo(json.dumps(get_setting(session, key), ensure_ascii=False))
            return
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        opened.run(lambda s: set_setting(s, key, parsed))
        typer.echo(f"{key} = {json.dumps(parsed, ensure_ascii=False)}")


def freeze(
    db: DbOption = None,
    at: Annotated[str | None, typer.Option("--at", help="ISO time (default: now)")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the freeze")] = False,
) -> None:
    """Freeze the codebook: codes or relations created later are reported by the saturation check."""
    from datetime import datetime

    from qcoder.store.settings import set_setting

    if clear:
        stamp = None
    else:
        try:
            moment = datetime.fromisoformat(at) if at else datetime.now(UTC)
        except ValueError:
            fail(f"--at {at!r} is not an ISO time like 2026-03-01T12:00")
        stamp = (moment if moment.tzinfo else moment.astimezone()).astimezone(UTC).isoformat()
    with project(db) as opened:
        opened.run(lambda s: set_setting(s, "codebook_frozen_at", stamp))
    typer.echo("codebook freeze removed" if stamp is None else f"codebook frozen at {stamp}")


def db_upgrade(db: DbOption = None) -> None:
    """Bring the project schema up to this qcoder's version (required on PostgreSQL)."""
    from qcoder.store.revisions import head_revision

    # The same ladder as opening any project (its refusals, its backup of an older SQLite
    # file, said on stderr), except that an older PostgreSQL schema is upgraded too.
    with project(db, upgrade_server=True) as opened:
        found = opened.schema_found
    if found == "current":
        typer.echo(f"schema already current ({head_revision()})")
    elif found == "empty":
        typer.echo(f"created the project schema ({head_revision()})")
    else:
        typer.echo(f"schema upgraded to {head_revision()}")


def db_check(db: DbOption = None) -> None:
    """Check integrity, orphan rows and statement offsets."""
    from qcoder.store.check import check_project

    with project(db, create=False) as opened:
        problems = check_project(opened)
    if not problems:
        typer.echo("ok: no problems found")
        return
    for problem in problems:
        typer.echo(f"{problem.kind}: {problem.message}")
    raise typer.Exit(1)


def db_backup(
    target: Annotated[Path | None, typer.Argument(help="Backup file (default: next to the project)")] = None,
    db: DbOption = None,
) -> None:
    """Back up the project (SQLite online backup; for PostgreSQL, the pg_dump command to run)."""
    from qcoder.store.backup import backup

    with project(db, create=False) as opened:
        typer.echo(backup(opened, target))


def backup(
    target: Annotated[Path | None, typer.Argument(help="Backup file (default: next to the project)")] = None,
    db: DbOption = None,
) -> None:
    """Back up the project (same as `qcoder db backup`)."""
    db_backup(target, db)


def where(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """Print which project commands use (from --db, $QCODER_DB or the default) and whether it exists."""
    import os

    from sqlalchemy.engine import make_url

    from qcoder.commands.common import state
    from qcoder.store.location import project_value, sqlite_file

    named = db or state.db
    source = "--db" if named else "QCODER_DB" if os.environ.get("QCODER_DB") else "the default project"
    path = sqlite_file(named)
    if path is not None:
        row = {"project": str(path), "backend": "sqlite", "from": source, "exists": path.exists()}
        line = f"{path}  (SQLite, from {source})" + (
            "" if path.exists() else "; it does not exist yet: `qcoder init` or `qcoder import` creates it"
        )
    else:
        shown = make_url(project_value(named)).render_as_string(hide_password=True)
        row = {"project": shown, "backend": "postgresql", "from": source, "exists": None}
        line = f"{shown}  (PostgreSQL, from {source})"
    if fmt == "json":
        typer.echo(json.dumps(row, ensure_ascii=False, indent=2))
    elif fmt == "text":
        typer.echo(line)
    else:
        fail(f"unknown format {fmt!r}; use text or json")
