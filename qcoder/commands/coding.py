"""Coding from the command line: ``search [--code]``, ``code``, ``uncode``, ``review``, ``undo``,
``redo``, and the ``codes`` and ``coders`` listings.

Why through the Workbench: a coding made by a script is the same undoable step, with the
same rules, as one made in the workbench; ``qcoder undo --coder NAME`` takes back either.
The coder is created by the command's change itself, so a command that fails leaves the
project exactly as it was. Annotations are evaluated eagerly (no ``from __future__ import
annotations``): typer reads them.
"""

import json
from typing import Annotated, Any

import typer

from qcoder.commands.common import CoderOption, DbOption, FormatOption, emit, fail, project


def _workbench(opened: Any, coder: str) -> Any:
    from qcoder.coding.workbench import Workbench

    return Workbench(opened, coder, join_now=False)


def search(
    query: Annotated[
        str, typer.Argument(help="Text to find (any length; Chinese one- and two-character queries work)")
    ],
    db: DbOption = None,
    word: Annotated[bool, typer.Option("--word", help="Match whole jieba words instead of substrings")] = False,
    code: Annotated[str | None, typer.Option("--code", help="Autocode every hit with this code")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Level of --code when it is created")] = None,
    coder: Annotated[str | None, typer.Option("--coder", help="Coder for --code")] = None,
    fmt: FormatOption = "text",
) -> None:
    """Find statements; with --code, code every hit."""
    from qcoder.corpus.search import search as run_search

    if code and not coder:
        fail("--code needs --coder NAME (every coding belongs to a coder)")
    with project(db) as opened:
        with opened.session() as session:
            hits = run_search(session, query, mode="word" if word else "substring")
        rows = [
            {"id": h.label, "document": h.document_label, "text": h.text, "matches": [list(m) for m in h.matches]}
            for h in hits
        ]
        added: list[int] = []
        if code and hits:
            added, _created = _workbench(opened, coder or "").code_named(
                [h.sentence_id for h in hits], code, level, description=f"autocode the hits of {query} with {code}"
            )
    if fmt == "json":
        typer.echo(
            json.dumps(
                {"query": query, "hits": rows, "coded": len(added)} if code else rows, ensure_ascii=False, indent=2
            )
        )
        return
    for hit in hits:
        typer.echo(f"{hit.label}  {hit.highlighted()}")
    typer.echo(f"{len(hits)} statements match {query!r}" + (f"; coded {len(added)} new with {code!r}" if code else ""))


def codes(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List the codebook as a tree, by level, with coding counts."""
    from qcoder.coding.listings import code_entries

    with project(db) as opened, opened.session() as session:
        rows = code_entries(session)
    if fmt == "text" and not rows:
        typer.echo("no codes yet; create one with `qcoder code ID --code NAME --coder NAME`")
        return
    emit(rows, fmt, lambda r: f"{'  ' * r['depth']}{r['name']}  [{r['level_name']}]  {r['codings']} codings")


def code(
    statements: Annotated[list[str], typer.Argument(help="Statement IDs: D03-S017, ranges D03-S017..D03-S020")],
    code: Annotated[str, typer.Option("--code", help="Code name (created if missing)")],
    coder: CoderOption,
    level: Annotated[str | None, typer.Option("--level", help="0-3, concept, 初始范畴, …")] = None,
    db: DbOption = None,
    value: Annotated[
        str | None, typer.Option("--value", help="With a scale as --code: the value to give (one per statement)")
    ] = None,
) -> None:
    """Code statements (with a scale: ``--code 情绪强度 --value 强``)."""
    with project(db) as opened:
        if value is not None:
            from qcoder.coding.scales import find_scale_value

            with opened.session() as session:
                chosen = find_scale_value(session, code, value)
                code, level = chosen.name, str(chosen.level)
        workbench = _workbench(opened, coder)
        ids = workbench.statement_ids(statements)
        added, created = workbench.code_named(ids, code, level)
    total, changed = len(ids), len(added)
    note = f" (new code {code!r})" if created else ""
    typer.echo(f"coded {changed} of {total} statements with {code!r}{note}; {total - changed} already had it")


def uncode(
    statements: Annotated[list[str], typer.Argument(help="Statement IDs")],
    code: Annotated[str, typer.Option("--code")],
    coder: CoderOption,
    level: Annotated[str | None, typer.Option("--level")] = None,
    db: DbOption = None,
) -> None:
    """Remove a code from statements."""
    with project(db) as opened:
        workbench = _workbench(opened, coder)
        ids = workbench.statement_ids(statements)
        removed = workbench.uncode_named(ids, code, level)
    typer.echo(f"removed {code!r} from {len(removed)} of {len(ids)} statements")


def review(
    document: Annotated[str, typer.Argument(help="Document ID or name")],
    coder: CoderOption,
    db: DbOption = None,
    undo: Annotated[bool, typer.Option("--undo", help="Unmark the document")] = False,
) -> None:
    """Mark a document as completely coded by a coder (uncoded statements then count as 'not this code')."""
    with project(db) as opened:
        workbench = _workbench(opened, coder)
        document_id, label = workbench.find_document(document)
        changed = workbench.review(document_id, not undo)
    state = "not reviewed" if undo else "reviewed"
    typer.echo(f"{label} {state} by {coder}" + ("" if changed else " (unchanged)"))


def _history(coder: str, db: str | None, redo: bool) -> None:
    with project(db) as opened:
        workbench = _workbench(opened, coder)
        done = workbench.redo() if redo else workbench.undo()
    verb = "redo" if redo else "undo"
    typer.echo(f"{verb}: {done}" if done else f"nothing to {verb} for {coder}")


def undo(coder: CoderOption, db: DbOption = None) -> None:
    """Undo the coder's newest step (workbench or command line); a colleague's work is never touched."""
    _history(coder, db, redo=False)


def redo(coder: CoderOption, db: DbOption = None) -> None:
    """Redo the coder's newest undone step."""
    _history(coder, db, redo=True)


def coders(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List coders."""
    from qcoder.coding.coders import list_coders

    with project(db) as opened, opened.session() as session:
        rows = [{"name": c.name, "created": f"{c.created_at:%Y-%m-%d}"} for c in list_coders(session)]
    emit(rows, fmt, lambda r: r["name"])
