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

from qcoder.commands.common import CoderOption, DbOption, FormatOption, emit, fail, parse_attrs, project, workbench_for


def _workbench(opened: Any, coder: str | None) -> Any:
    return workbench_for(opened, coder)


def search(
    query: Annotated[
        str, typer.Argument(help="Text to find (any length; Chinese one- and two-character queries work)")
    ],
    db: DbOption = None,
    word: Annotated[bool, typer.Option("--word", help="Match whole jieba words instead of substrings")] = False,
    code: Annotated[str | None, typer.Option("--code", help="Autocode every hit with this code")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Level of --code when it is created")] = None,
    coder: Annotated[str | None, typer.Option("--coder", help="Coder for --code")] = None,
    speaker: Annotated[
        str | None, typer.Option("--speaker", help="Only statements of this speaker (transcripts: 受访者, A, P1 ...)")
    ] = None,
    where: Annotated[
        list[str],
        typer.Option(
            "--where", help="Only statements with this attribute, key=value (time, page, row ...; repeatable)"
        ),
    ] = [],
    fmt: FormatOption = "text",
) -> None:
    """Find statements; with --code, code every hit."""
    from qcoder.corpus.search import search as run_search

    with project(db, create=False) as opened:
        with opened.session() as session:
            wanted = parse_attrs(where)
            if speaker:
                wanted["speaker"] = speaker
            hits = run_search(session, query, mode="word" if word else "substring", attributes=wanted)
        rows = [
            {
                "id": h.label,
                "document": h.document_label,
                "text": h.text,
                "matches": [list(m) for m in h.matches],
                **({"speaker": h.speaker} if h.speaker else {}),
            }
            for h in hits
        ]
        added: list[int] = []
        if code and hits:
            added, _created = _workbench(opened, coder).code_named(
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
        typer.echo(f"{hit.label}  {f'[{hit.speaker}] ' if hit.speaker else ''}{hit.highlighted()}")
    typer.echo(f"{len(hits)} statements match {query!r}" + (f"; coded {len(added)} new with {code!r}" if code else ""))


def codes(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List the codebook as a tree, by level, with coding counts."""
    from qcoder.coding.listings import code_entries

    with project(db, create=False) as opened, opened.session() as session:
        rows = code_entries(session)
    if fmt == "text" and not rows:
        typer.echo("no codes yet; create one with `qcoder code ID --code NAME --coder NAME`")
        return
    emit(
        rows,
        fmt,
        lambda r: (
            f"{'  ' * r['depth']}{r['name']}  [{r['level_name']}]  {r['codings']} codings"
            + (f"  ({r['path']})" if r.get("path") else "")
        ),
    )


def code(
    statements: Annotated[list[str], typer.Argument(help="Statement IDs: D03-S017, ranges D03-S017..D03-S020")],
    code: Annotated[str, typer.Option("--code", help="Code name or path Parent/Child (created if missing)")],
    coder: CoderOption = None,
    level: Annotated[str | None, typer.Option("--level", help="0-3, concept, 初始范畴, …")] = None,
    db: DbOption = None,
    quote: Annotated[
        str | None, typer.Option("--quote", help="Code only these exact words of the statement (an in-vivo quote)")
    ] = None,
    occurrence: Annotated[
        int | None, typer.Option("--occurrence", help="Which occurrence of --quote, when it occurs more than once")
    ] = None,
    value: Annotated[
        str | None, typer.Option("--value", help="With a scale as --code: the value to give (one per statement)")
    ] = None,
) -> None:
    """Code statements (with --quote: the exact words inside one statement; with a scale: ``--code 情绪强度 --value 强``)."""
    if occurrence is not None and quote is None:
        fail("--occurrence goes with --quote WORDS")
    from qcoder.coding.statements import context_ids

    with project(db) as opened:
        if value is not None:
            from qcoder.coding.scales import find_scale_value

            with opened.session() as session:
                from qcoder.coding.codes import code_path

                chosen = find_scale_value(session, code, value)
                code, level = code_path(session, chosen), str(chosen.level)
        workbench = _workbench(opened, coder)
        ids = workbench.statement_ids(statements)
        if quote is not None:
            if len(ids) != 1:
                fail(f"--quote codes words inside one statement; {len(ids)} statements were given")
            span, changed, created = workbench.quote_named(ids[0], code, quote, occurrence=occurrence, level=level)
            note = f" (new code {code!r})" if created else ""
            state = "" if changed else " (unchanged)"
            typer.echo(f"coded {quote!r} [{span[0]}, {span[1]}) of {statements[0]} with {code!r}{note}{state}")
            return
        added, created = workbench.code_named(ids, code, level)
        with opened.session() as session:
            skipped = len(context_ids(session, ids))
    total, changed = len(ids), len(added)
    note = f" (new code {code!r})" if created else ""
    context = f"; {skipped} interviewer turns skipped (context, not for coding)" if skipped else ""
    typer.echo(
        f"coded {changed} of {total} statements with {code!r}{note}; {total - changed - skipped} already had it{context}"
    )


def uncode(
    statements: Annotated[list[str], typer.Argument(help="Statement IDs")],
    code: Annotated[str, typer.Option("--code")],
    coder: CoderOption = None,
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
    coder: CoderOption = None,
    db: DbOption = None,
    undo: Annotated[bool, typer.Option("--undo", help="Unmark the document")] = False,
) -> None:
    """Mark a document as completely coded by a coder (uncoded statements then count as 'not this code')."""
    with project(db) as opened:
        workbench = _workbench(opened, coder)
        document_id, label = workbench.find_document(document)
        changed = workbench.review(document_id, not undo)
    state = "not reviewed" if undo else "reviewed"
    typer.echo(f"{label} {state} by {workbench.coder_name}" + ("" if changed else " (unchanged)"))


def _history(coder: str | None, db: str | None, redo: bool) -> None:
    with project(db) as opened:
        workbench = _workbench(opened, coder)
        done = workbench.redo() if redo else workbench.undo()
    verb = "redo" if redo else "undo"
    typer.echo(f"{verb}: {done}" if done else f"nothing to {verb} for {workbench.coder_name}")


def undo(coder: CoderOption = None, db: DbOption = None) -> None:
    """Undo the coder's newest step (workbench or command line); a colleague's work is never touched."""
    _history(coder, db, redo=False)


def redo(coder: CoderOption = None, db: DbOption = None) -> None:
    """Redo the coder's newest undone step."""
    _history(coder, db, redo=True)


def coders(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List coders."""
    from qcoder.coding.coders import list_coders

    with project(db, create=False) as opened, opened.session() as session:
        rows = [{"name": c.name, "created": f"{c.created_at:%Y-%m-%d}"} for c in list_coders(session)]
    emit(rows, fmt, lambda r: r["name"])
