"""The command line: a thin face over the engine, scriptable and JSON-friendly.

Every failure the user can act on is one line on stderr and a non-zero exit code —
never a traceback. A bare ``qcoder`` opens the terminal UI on the default project.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup
from qcoder.errors import QcoderError, is_database_error

# SQLAlchemy is imported by the commands that use it, not here: ``qcoder`` / ``qcoder tui``
# open the workbench before the engine has loaded (see qcoder.coding.first_look).

class _OneLineErrors(TyperGroup):
    """Turn every failure a user can cause into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except QcoderError as error:
            typer.echo(f"error: {error}", err=True)
            ctx.exit(1)
        except Exception as error:
            if not is_database_error(error):
                raise
            from qcoder.store.database import describe_db_error, resolve_url

            typer.echo(f"error: {describe_db_error(error, resolve_url(_state.db))}", err=True)
            ctx.exit(1)


app = typer.Typer(
    name="qcoder",
    cls=_OneLineErrors,
    help="Grounded-theory qualitative coding in the terminal.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Project database: upgrade, check, backup.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DbOption = Annotated[
    Optional[str],
    typer.Option("--db", help="Project: a file path (SQLite) or a postgresql:// URL. Default: $QCODER_DB or the default project."),
]
CoderOption = Annotated[str, typer.Option("--coder", help="Your coder name (every coding belongs to a coder).")]
FormatOption = Annotated[str, typer.Option("--format", help="text or json")]


class _State:
    db: str | None = None


_state = _State()


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _project(db: str | None, *, create: bool = True) -> Iterator[Any]:
    from qcoder.store.database import open_project

    project = open_project(db or _state.db, create=create)
    for notice in project.notices:
        typer.echo(notice, err=True)
    try:
        yield project
    finally:
        project.close()


def _emit(rows: list[dict[str, Any]], fmt: str, text: Callable[[dict[str, Any]], str]) -> None:
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "text":
        for row in rows:
            typer.echo(text(row))
    else:
        _fail(f"unknown format {fmt!r}; use text or json")


def _parse_attrs(values: list[str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            _fail(f"--attr takes key=value, got {value!r}")
        attrs[key.strip()] = val.strip()
    return attrs


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context, db: DbOption = None) -> None:
    """Without a command, open the coding workbench (TUI) on the project."""
    _state.db = db
    if ctx.invoked_subcommand is None:
        _open_tui(db, None)


def _open_tui(db: str | None, coder: str | None) -> None:
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        _fail("the workbench needs an interactive terminal; use the subcommands (`qcoder --help`) in scripts")
    from qcoder.tui.app import run_tui

    run_tui(db or _state.db, coder)


@app.command()
def tui(db: DbOption = None, coder: Annotated[Optional[str], typer.Option("--coder")] = None) -> None:
    """Open the coding workbench."""
    _open_tui(db, coder)


@app.command()
def init(db: DbOption = None) -> None:
    """Create a project (or check an existing one is usable)."""
    with _project(db) as project:
        typer.echo(f"project ready: {project.url}")


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help=".txt, .md or .docx files")],
    db: DbOption = None,
    attr: Annotated[list[str], typer.Option("--attr", help="Document attribute key=value (repeatable)")] = [],
    role: Annotated[str, typer.Option("--role", help="coding, or holdout (kept back for the saturation check)")] = "coding",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report what each step would change; store nothing")] = False,
    to_simplified: Annotated[Optional[bool], typer.Option("--simplified/--keep-script", help="Convert Traditional to Simplified (default: project setting)")] = None,
    semicolon: Annotated[Optional[bool], typer.Option("--split-semicolon/--no-split-semicolon", help="Also split statements at ；")] = None,
    keep_repeated: Annotated[bool, typer.Option("--keep-repeated", help="Keep repeated short lines: drop no running heads (page numbers and journal footers still go)")] = False,
    fmt: FormatOption = "text",
) -> None:
    """Import documents: decode, clean, split into statements, tokenize."""
    from qcoder.corpus.importer import prepare, store_prepared
    from qcoder.corpus.types import ImportRefused
    from qcoder.store.settings import pipeline_options

    attributes = _parse_attrs(attr)
    results, refused = [], 0
    with _project(db) as project:
        with project.session() as session:
            options = pipeline_options(
                session, to_simplified=to_simplified, split_on_semicolon=semicolon, keep_repeated=keep_repeated
            )
        for path in files:
            try:
                prepared = prepare(path, options, project=project, attributes=attributes, role=role)
                if dry_run or prepared.duplicate is not None:  # nothing to write: no write transaction
                    result = prepared.preview()
                else:
                    result = project.run(lambda s: store_prepared(s, prepared))
            except ImportRefused as error:
                refused += 1
                typer.echo(f"error: {error}", err=True)
                continue
            results.append(result)
            if fmt == "text":
                if result.status == "duplicate":
                    typer.echo(f"{path}: already imported as {result.label} ({result.name}); nothing to do")
                else:
                    verb = "would import" if dry_run else f"imported as {result.label}"
                    typer.echo(
                        f"{path}: {verb}: {result.statements} statements ({result.headings} headings), "
                        f"encoding {result.encoding}"
                    )
                    if dry_run:
                        for line in result.report:
                            typer.echo(f"  {line}")
                        if any("running heads" in line for line in result.report):
                            typer.echo("  (to keep repeated lines, import with --keep-repeated)")
    if fmt == "json":
        typer.echo(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2))
    if refused:
        raise typer.Exit(1)


@app.command()
def docs(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List the project's documents."""
    from sqlalchemy import select

    from qcoder.coding import reads
    from qcoder.store.models import Document

    columns = (Document.id, Document.label, Document.name, Document.role, Document.encoding,
               Document.attributes, Document.sha256)  # not the raw bytes and texts
    with _project(db) as project, project.session() as session:
        reader = reads.Reader.of_session(session)
        counts, reviewers = reads.statement_counts(reader), reads.reviewers_by_document(reader)
        rows = [
            {
                "id": label, "name": name, "role": role, "statements": counts.get(doc_id, 0),
                "encoding": encoding, "attributes": attributes, "reviewed_by": reviewers.get(doc_id, []),
                "sha256": sha,
            }
            for doc_id, label, name, role, encoding, attributes, sha in session.execute(
                select(*columns).order_by(Document.id)
            )
        ]
    _emit(
        rows, fmt,
        lambda r: f"{r['id']}  {r['statements']:>6} statements  {r['role']:<8} {r['name']}"
        + (f"  reviewed by {', '.join(r['reviewed_by'])}" if r["reviewed_by"] else ""),
    )


@app.command()
def show(
    document: Annotated[str, typer.Argument(help="Document ID (D03) or name")],
    db: DbOption = None,
    fmt: FormatOption = "text",
    codes: Annotated[bool, typer.Option("--codes", help="Also list each statement's codes and coders")] = False,
) -> None:
    """Print a document's statements with their IDs."""
    from sqlalchemy import select

    from qcoder.coding.codings import codings_of_document
    from qcoder.coding.statements import find_document
    from qcoder.store.models import Code, Coder, Sentence

    with _project(db) as project, project.session() as session:
        doc = find_document(session, document)
        coded: dict[int, list[str]] = {}
        if codes:
            names = dict(session.execute(select(Code.id, Code.name)).all())
            coders = dict(session.execute(select(Coder.id, Coder.name)).all())
            for sid, cid, coder in codings_of_document(session, doc.id):
                coded.setdefault(sid, []).append(f"{names[cid]}@{coders[coder]}")
        rows = [
            {"id": s.label, "kind": s.kind, "start": s.start, "end": s.end, "text": s.text, "codes": coded.get(s.id, [])}
            for s in session.scalars(select(Sentence).where(Sentence.document_id == doc.id).order_by(Sentence.ordinal))
        ]
        if fmt == "text":
            typer.echo(f"{doc.label} {doc.name} ({len(rows)} statements)")
    _emit(
        rows, fmt,
        lambda r: f"{r['id']}  {'# ' if r['kind'] == 'heading' else ''}{r['text']}"
        + (f"  [{'; '.join(r['codes'])}]" if r["codes"] else ""),
    )


def _resolve_level(session: Any, level: str | None) -> int | None:
    from qcoder.store.settings import resolve_level

    return None if level is None else resolve_level(session, level).rank


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Text to find (any length; Chinese one- and two-character queries work)")],
    db: DbOption = None,
    word: Annotated[bool, typer.Option("--word", help="Match whole jieba words instead of substrings")] = False,
    code: Annotated[Optional[str], typer.Option("--code", help="Autocode every hit with this code")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="Level of --code when it is created")] = None,
    coder: Annotated[Optional[str], typer.Option("--coder", help="Coder for --code")] = None,
    fmt: FormatOption = "text",
) -> None:
    """Find statements; with --code, code every hit."""
    from qcoder.coding.codes import ensure_code
    from qcoder.coding.coders import get_or_create_coder
    from qcoder.coding.codings import add_codings
    from qcoder.corpus.search import search as run_search

    if code and not coder:
        _fail("--code needs --coder NAME (every coding belongs to a coder)")
    with _project(db) as project:
        with project.session() as session:
            hits = run_search(session, query, mode="word" if word else "substring")
        rows = [
            {"id": h.label, "document": h.document_label, "text": h.text, "matches": [list(m) for m in h.matches]}
            for h in hits
        ]
        added: list[int] = []
        if code and hits:
            def autocode(session: Any) -> list[int]:
                from qcoder.coding import history

                coder_row = get_or_create_coder(session, coder or "")
                rank = _resolve_level(session, level) or 0
                with history.step(session, coder_row.id, f"autocode the hits of {query} with {code}"):
                    code_row, _ = ensure_code(session, code, rank, coder_row)
                    return add_codings(session, [h.sentence_id for h in hits], code_row.id, coder_row.id)

            added = project.run(autocode)
    if fmt == "json":
        typer.echo(json.dumps({"query": query, "hits": rows, "coded": len(added)} if code else rows, ensure_ascii=False, indent=2))
        return
    for hit in hits:
        typer.echo(f"{hit.label}  {hit.highlighted()}")
    typer.echo(f"{len(hits)} statements match {query!r}" + (f"; coded {len(added)} new with {code!r}" if code else ""))


@app.command()
def codes(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List the codebook as a tree, by level, with coding counts."""
    from qcoder.coding.codes import CodeNode, code_tree
    from qcoder.coding import reads
    from qcoder.store.settings import levels

    with _project(db) as project, project.session() as session:
        ladder = levels(session)
        counts = reads.coding_counts(reads.Reader.of_session(session))
        rows: list[dict[str, Any]] = []

        def walk(node: CodeNode, depth: int) -> None:
            c = node.code
            rows.append(
                {
                    "name": c.name, "level": ladder[c.level].key if c.level < len(ladder) else str(c.level),
                    "level_name": ladder[c.level].name if c.level < len(ladder) else str(c.level),
                    "parent": c.parent.name if c.parent else None, "guid": c.guid, "definition": c.definition,
                    "colour": c.colour, "codings": counts.get(c.id, 0), "depth": depth,
                }
            )
            for child in node.children:
                walk(child, depth + 1)

        for root in code_tree(session):
            walk(root, 0)
    if fmt == "text" and not rows:
        typer.echo("no codes yet; create one with `qcoder code ID --code NAME --coder NAME`")
        return
    _emit(rows, fmt, lambda r: f"{'  ' * r['depth']}{r['name']}  [{r['level_name']}]  {r['codings']} codings")


def _code_action(statements: list[str], code: str, level: str | None, coder: str, db: str | None, add: bool) -> None:
    from qcoder.coding.codes import ensure_code, find_code
    from qcoder.coding.coders import get_or_create_coder
    from qcoder.coding.codings import add_codings, remove_codings
    from qcoder.coding.statements import resolve_statements

    from qcoder.coding import history

    def work(session: Any) -> tuple[int, int, bool]:
        sentences = resolve_statements(session, statements)
        coder_row = get_or_create_coder(session, coder)
        rank = _resolve_level(session, level)
        with history.step(session, coder_row.id, f"{'code' if add else 'uncode'} {len(sentences)} statements with {code}"):
            return _change(session, sentences, coder_row, rank)

    def _change(session: Any, sentences: Any, coder_row: Any, rank: int | None) -> tuple[int, int, bool]:
        if add:
            code_row, created = ensure_code(session, code, rank or 0, coder_row)
            changed = add_codings(session, [s.id for s in sentences], code_row.id, coder_row.id)
        else:
            code_row, created = find_code(session, code, rank), False
            changed = remove_codings(session, [s.id for s in sentences], code_row.id, coder_row.id)
        return len(sentences), len(changed), created

    with _project(db) as project:
        total, changed, created = project.run(work)
    if add:
        note = f" (new code {code!r})" if created else ""
        typer.echo(f"coded {changed} of {total} statements with {code!r}{note}; {total - changed} already had it")
    else:
        typer.echo(f"removed {code!r} from {changed} of {total} statements")


@app.command("code")
def code_cmd(
    statements: Annotated[list[str], typer.Argument(help="Statement IDs: D03-S017, ranges D03-S017..D03-S020")],
    code: Annotated[str, typer.Option("--code", help="Code name (created if missing)")],
    coder: CoderOption,
    level: Annotated[Optional[str], typer.Option("--level", help="0-3, concept, 初始范畴, …")] = None,
    db: DbOption = None,
) -> None:
    """Code statements."""
    _code_action(statements, code, level, coder, db, add=True)


@app.command()
def uncode(
    statements: Annotated[list[str], typer.Argument(help="Statement IDs")],
    code: Annotated[str, typer.Option("--code")],
    coder: CoderOption,
    level: Annotated[Optional[str], typer.Option("--level")] = None,
    db: DbOption = None,
) -> None:
    """Remove a code from statements."""
    _code_action(statements, code, level, coder, db, add=False)


@app.command()
def review(
    document: Annotated[str, typer.Argument(help="Document ID or name")],
    coder: CoderOption,
    db: DbOption = None,
    undo: Annotated[bool, typer.Option("--undo", help="Unmark the document")] = False,
) -> None:
    """Mark a document as completely coded by a coder (uncoded statements then count as 'not this code')."""
    from qcoder.coding.coders import get_or_create_coder
    from qcoder.coding.codings import mark_reviewed
    from qcoder.coding.statements import find_document

    from qcoder.coding import history

    def work(session: Any) -> tuple[str, bool]:
        doc = find_document(session, document)
        coder_row = get_or_create_coder(session, coder)
        with history.step(session, coder_row.id, "unreview" if undo else "review"):
            return doc.label, mark_reviewed(session, doc.id, coder_row.id, not undo)

    with _project(db) as project:
        label, changed = project.run(work)
    state = "not reviewed" if undo else "reviewed"
    typer.echo(f"{label} {state} by {coder}" + ("" if changed else " (unchanged)"))


def _history_command(coder: str, db: str | None, redo: bool) -> None:
    from qcoder.coding import history
    from qcoder.coding.coders import get_or_create_coder

    def work(session: Any) -> str | None:
        coder_id = get_or_create_coder(session, coder).id
        return history.redo(session, coder_id) if redo else history.undo(session, coder_id)

    with _project(db) as project:
        done = project.run(work)
    verb = "redo" if redo else "undo"
    typer.echo(f"{verb}: {done}" if done else f"nothing to {verb} for {coder}")


@app.command("undo")
def undo_cmd(coder: CoderOption, db: DbOption = None) -> None:
    """Undo the coder's newest step (workbench or command line); a colleague's work is never touched."""
    _history_command(coder, db, redo=False)


@app.command("redo")
def redo_cmd(coder: CoderOption, db: DbOption = None) -> None:
    """Redo the coder's newest undone step."""
    _history_command(coder, db, redo=True)


@app.command()
def coders(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List coders."""
    from qcoder.coding.coders import list_coders

    with _project(db) as project, project.session() as session:
        rows = [{"name": c.name, "created": f"{c.created_at:%Y-%m-%d}"} for c in list_coders(session)]
    _emit(rows, fmt, lambda r: r["name"])


@app.command()
def settings(
    key: Annotated[Optional[str], typer.Argument(help="Setting to show or change")] = None,
    value: Annotated[Optional[str], typer.Argument(help="New value as JSON (e.g. true, [\"新质生产力\"])")] = None,
    db: DbOption = None,
) -> None:
    """Show or change project settings (level ladder, split options, user dictionary…)."""
    from qcoder.store.settings import all_settings, get_setting, set_setting

    with _project(db) as project:
        if key is None:
            with project.session() as session:
                for name, current in all_settings(session).items():
                    typer.echo(f"{name} = {json.dumps(current, ensure_ascii=False)}")
            return
        if value is None:
            with project.session() as session:
                typer.echo(json.dumps(get_setting(session, key), ensure_ascii=False))
            return
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        project.run(lambda s: set_setting(s, key, parsed))
        typer.echo(f"{key} = {json.dumps(parsed, ensure_ascii=False)}")


@app.command()
def freeze(
    db: DbOption = None,
    at: Annotated[Optional[str], typer.Option("--at", help="ISO time (default: now)")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the freeze")] = False,
) -> None:
    """Freeze the codebook: codes or relations created later are reported by the saturation check."""
    from datetime import datetime, timezone

    from qcoder.store.settings import set_setting

    if clear:
        stamp = None
    else:
        try:
            moment = datetime.fromisoformat(at) if at else datetime.now(timezone.utc)
        except ValueError:
            _fail(f"--at {at!r} is not an ISO time like 2026-03-01T12:00")
        stamp = (moment if moment.tzinfo else moment.astimezone()).astimezone(timezone.utc).isoformat()
    with _project(db) as project:
        project.run(lambda s: set_setting(s, "codebook_frozen_at", stamp))
    typer.echo("codebook freeze removed" if stamp is None else f"codebook frozen at {stamp}")


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Bring the project schema up to this qcoder's version (required on PostgreSQL)."""
    from qcoder.store import schema
    from qcoder.store.database import make_engine, resolve_url, sqlite_path

    url = resolve_url(db or _state.db)
    engine = make_engine(url)
    try:
        state = schema.state(engine)
        if state == "current":
            typer.echo(f"schema already current ({schema.head_revision()})")
            return
        if state == "newer":
            _fail("this project was written by a newer qcoder; upgrade qcoder instead")
        if state == "foreign":
            _fail("this database is not a qcoder project (it has other tables)")
        path = sqlite_path(url)
        if state == "older" and path is not None:
            backup = schema.backup_sqlite(path, "pre-upgrade")
            typer.echo(f"backed up to {backup}")
        schema.upgrade(engine)
        typer.echo(f"schema upgraded to {schema.head_revision()}")
    finally:
        engine.dispose()


@db_app.command("check")
def db_check(db: DbOption = None) -> None:
    """Check integrity, orphan rows and statement offsets."""
    from qcoder.store.check import check_project

    with _project(db, create=False) as project:
        problems = check_project(project)
    if not problems:
        typer.echo("ok: no problems found")
        return
    for problem in problems:
        typer.echo(f"{problem.kind}: {problem.message}")
    raise typer.Exit(1)


@db_app.command("backup")
def db_backup(
    target: Annotated[Optional[Path], typer.Argument(help="Backup file (default: next to the project)")] = None,
    db: DbOption = None,
) -> None:
    """Back up the project (SQLite online backup; for PostgreSQL, the pg_dump command to run)."""
    from qcoder.store.backup import backup

    with _project(db, create=False) as project:
        typer.echo(backup(project, target))


@app.command("backup")
def backup_cmd(
    target: Annotated[Optional[Path], typer.Argument(help="Backup file (default: next to the project)")] = None,
    db: DbOption = None,
) -> None:
    """Back up the project (same as `qcoder db backup`)."""
    db_backup(target, db)


@app.command()
def demo(
    db: DbOption = None,
    coder: Annotated[Optional[str], typer.Option("--coder")] = None,
    no_tui: Annotated[bool, typer.Option("--no-tui", help="Set up the demo project and print its summary only")] = False,
) -> None:
    """Create (or reuse) a project from the sample corpus and open it."""
    from qcoder.demo import demo_project_path, load_demo

    target = db or _state.db or str(demo_project_path())
    with _project(target) as project:
        for line in load_demo(project):
            typer.echo(line)
    if not no_tui:
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            typer.echo("(no interactive terminal: skipping the workbench; run `qcoder demo` in a terminal)")
            return
        _open_tui(target, coder)


def _register_command_groups() -> None:
    """Exchange, reports and agreement live in their own modules; each adds its commands."""
    from qcoder.commands import agreement, exchange, reports

    for module in (exchange, reports, agreement):
        module.register(app)


_register_command_groups()


def main() -> None:
    """Console entry point: one-line errors, no tracebacks, for everything a user can cause."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
