"""The codebook from the command line: ``qcoder codebook rename|move|merge|define|exemplar|delete|relate|
unrelate|relations|memos|memo``.

Why through the Workbench: a rename from a script is the same undoable step, with the same
rules and the same optimistic locking, as one made in the workbench — ``--expect-version N``
(the ``version`` that ``qcoder codes --format json`` printed) refuses a change on top of a
colleague's newer one, naming them. Every command prints one line, or with ``--format json``
the changed record. Annotations are evaluated eagerly (no ``from __future__ import
annotations``): typer reads them.
"""

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer

from qcoder.commands.common import CoderOption, DbOption, FormatOption, emit, fail, project, workbench_for

codebook_app = typer.Typer(
    help="Change the codebook and list relations and memos (the workbench's codebook actions, scriptable).",
    no_args_is_help=True,
)

LevelOption = Annotated[
    str | None, typer.Option("--level", help="Level of CODE when its name is used at several levels")
]
VersionOption = Annotated[
    int | None,
    typer.Option("--expect-version", help="Refuse if the code changed since this version (see `codes --format json`)"),
]


def _code_id(opened: Any, name: str, level: str | None) -> int:
    from qcoder.coding.codes import find_code
    from qcoder.store.settings import resolve_level

    with opened.session() as session:
        rank = resolve_level(session, level).rank if level is not None else None
        return find_code(session, name, rank).id


def _one_statement(workbench: Any, spec: str) -> int:
    """The id of the one statement ``spec`` names (D03-S017); a range or list is refused in one line."""
    ids = workbench.statement_ids([spec])
    if len(ids) != 1:
        fail("give one statement ID, e.g. D03-S017")
    return int(ids[0])


def _print_code(info: Any, fmt: str, line: str) -> None:
    if fmt == "json":
        typer.echo(json.dumps(asdict(info), ensure_ascii=False, indent=2))
    elif fmt == "text":
        typer.echo(line)
    else:
        fail(f"unknown format {fmt!r}; use text or json")


@codebook_app.command("rename")
def rename(
    code: Annotated[str, typer.Argument(help="Code name, path (Parent/Child, where names repeat) or GUID")],
    new_name: Annotated[str, typer.Argument(help="The new name")],
    coder: CoderOption,
    level: LevelOption = None,
    expect_version: VersionOption = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Rename a code (its codings, relations and memos stay with it)."""
    with project(db) as opened:
        code_id = _code_id(opened, code, level)
        info = workbench_for(opened, coder).rename_code(code_id, new_name, expect_version)
    _print_code(info, fmt, f"renamed {code!r} to {info.name!r}")


@codebook_app.command("move")
def move(
    code: Annotated[str, typer.Argument(help="Code name, path (Parent/Child, where names repeat) or GUID")],
    coder: CoderOption,
    parent: Annotated[str | None, typer.Option("--parent", help="The new parent (a code of a higher level)")] = None,
    top: Annotated[bool, typer.Option("--top", help="Make it a top code (no parent)")] = False,
    level: LevelOption = None,
    parent_level: Annotated[str | None, typer.Option("--parent-level", help="Level of --parent if ambiguous")] = None,
    expect_version: VersionOption = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Move a code under another parent (axial coding: a concept into a category)."""
    if (parent is None) == (not top):
        fail("give either --parent NAME or --top")
    with project(db) as opened:
        code_id = _code_id(opened, code, level)
        parent_id = _code_id(opened, parent, parent_level) if parent is not None else None
        info = workbench_for(opened, coder).move_code(code_id, parent_id, expect_version)
    _print_code(info, fmt, f"moved {info.name!r} " + (f"under {parent!r}" if parent else "to the top"))


@codebook_app.command("merge")
def merge(
    source: Annotated[str, typer.Argument(help="The code that disappears")],
    target: Annotated[str, typer.Argument(help="The code that receives its codings, children, relations and memos")],
    coder: CoderOption,
    level: LevelOption = None,
    target_level: Annotated[str | None, typer.Option("--target-level", help="Level of TARGET if ambiguous")] = None,
    expect_versions: Annotated[
        str | None, typer.Option("--expect-versions", help="SOURCE,TARGET versions; refuse if either changed since")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Merge one code into another (undoable with `qcoder undo`)."""
    versions: tuple[int, int] | None = None
    if expect_versions is not None:
        parts = expect_versions.split(",")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            fail(f"--expect-versions takes two numbers like 3,5; got {expect_versions!r}")
        versions = (int(parts[0]), int(parts[1]))
    with project(db) as opened:
        source_id, target_id = _code_id(opened, source, level), _code_id(opened, target, target_level)
        if source_id == target_id:
            fail("cannot merge a code into itself")
        workbench = workbench_for(opened, coder)
        moved = workbench.merge_codes(source_id, target_id, versions)
        info = workbench.code(target_id)
    _print_code(info, fmt, f"merged {source!r} into {info.name!r}; {moved} codings moved")


@codebook_app.command("define")
def define(
    code: Annotated[str, typer.Argument(help="Code name, path (Parent/Child, where names repeat) or GUID")],
    definition: Annotated[str, typer.Argument(help="The definition (an empty string clears it)")],
    coder: CoderOption,
    level: LevelOption = None,
    expect_version: VersionOption = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Write a code's definition (what the codebook table prints)."""
    with project(db) as opened:
        code_id = _code_id(opened, code, level)
        info = workbench_for(opened, coder).update_code(code_id, definition=definition, expected_version=expect_version)
    _print_code(info, fmt, f"defined {info.name!r}")


@codebook_app.command("exemplar")
def exemplar(
    code: Annotated[str, typer.Argument(help="Code name, path (Parent/Child, where names repeat) or GUID")],
    statement: Annotated[str, typer.Argument(help="The exemplar statement (典型原始语句), e.g. D03-S017")],
    coder: CoderOption,
    level: LevelOption = None,
    expect_version: VersionOption = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Choose the statement the category table prints as the code's example."""
    with project(db) as opened:
        code_id = _code_id(opened, code, level)
        workbench = workbench_for(opened, coder)
        sentence_id = _one_statement(workbench, statement)
        info = workbench.update_code(code_id, exemplar_sentence_id=sentence_id, expected_version=expect_version)
    _print_code(info, fmt, f"{statement} is now the exemplar of {info.name!r}")


@codebook_app.command("delete")
def delete(
    code: Annotated[str, typer.Argument(help="Code name, path (Parent/Child, where names repeat) or GUID")],
    coder: CoderOption,
    yes: Annotated[bool, typer.Option("--yes", help="Delete even if it has codings")] = False,
    level: LevelOption = None,
    db: DbOption = None,
) -> None:
    """Delete a code with its codings (undoable with `qcoder undo`)."""
    with project(db) as opened:
        code_id = _code_id(opened, code, level)
        workbench = workbench_for(opened, coder)
        count = workbench.coding_count(code_id)
        if count and not yes:
            fail(f"{code!r} has {count} codings; add --yes to delete them with it (undo with `qcoder undo`)")
        workbench.delete_code(code_id)
    typer.echo(f"deleted {code!r} and its {count} codings")


@codebook_app.command("relate")
def relate(
    source: Annotated[str, typer.Argument(help="Source code")],
    target: Annotated[str, typer.Argument(help="Target code")],
    type_: Annotated[str, typer.Option("--type", help="Relation type (`qcoder settings` lists them), e.g. causal")],
    coder: CoderOption,
    note: Annotated[str, typer.Option("--note", help="What the relation means here")] = "",
    level: LevelOption = None,
    target_level: Annotated[str | None, typer.Option("--target-level", help="Level of TARGET if ambiguous")] = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Add a typed relation between two codes (axial coding)."""
    with project(db) as opened:
        source_id, target_id = _code_id(opened, source, level), _code_id(opened, target, target_level)
        info = workbench_for(opened, coder).add_relation(source_id, target_id, type_, note)
    _print_code(info, fmt, f"relation {info.id}: {info.source} —{info.type}→ {info.target}")


@codebook_app.command("unrelate")
def unrelate(
    relation: Annotated[int, typer.Argument(help="Relation ID (see `qcoder codebook relations`)")],
    coder: CoderOption,
    db: DbOption = None,
) -> None:
    """Remove a relation (undoable with `qcoder undo`)."""
    with project(db) as opened:
        workbench_for(opened, coder).remove_relation(relation)
    typer.echo(f"removed relation {relation}")


@codebook_app.command("relations")
def relations(
    code: Annotated[str | None, typer.Argument(help="Only relations touching this code")] = None,
    level: LevelOption = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """List the typed relations between codes."""
    from qcoder.coding.codes import find_code
    from qcoder.coding.listings import relation_entries
    from qcoder.store.settings import resolve_level

    with project(db, create=False) as opened, opened.session() as session:
        found = None
        if code is not None:
            found = find_code(session, code, resolve_level(session, level).rank if level is not None else None)
        rows = relation_entries(session, found)
    if fmt == "text" and not rows:
        typer.echo("no relations yet; add one with `qcoder codebook relate A B --type causal --coder NAME`")
        return
    emit(
        rows,
        fmt,
        lambda r: f"{r['id']}  {r['source']} —{r['type']}→ {r['target']}" + (f"  ({r['note']})" if r["note"] else ""),
    )


@codebook_app.command("memos")
def memos(
    type_: Annotated[str | None, typer.Option("--type", help="Only memos of this type")] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", help="project, code, document, statement, relation — or a code name / D03 / D03-S017"),
    ] = None,
    coder: Annotated[str | None, typer.Option("--coder", help="Only memos written by this coder")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Only memos containing this text")] = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """List memos, filtered by type, target, coder and text."""
    from qcoder.coding.listings import memo_entries

    with project(db, create=False) as opened, opened.session() as session:
        rows = memo_entries(session, type_=type_, target=target, coder=coder, contains=text)
    if fmt == "text" and not rows:
        typer.echo("no memos match")
        return
    emit(
        rows,
        fmt,
        lambda r: (
            f"{r['id']}  [{r['type']}] {r['target']}{' ' + r['about'] if r['about'] else ''}"
            f"  {r['coder'] or '-'}  {r['title'] or r['text'].splitlines()[0] if r['text'] else r['title']}"
        ),
    )


@codebook_app.command("memo")
def memo(
    text: Annotated[str, typer.Argument(help="The memo text")],
    coder: CoderOption,
    on: Annotated[
        str,
        typer.Option("--on", help="project, code:NAME, document:D03 or statement:D03-S017"),
    ] = "project",
    type_: Annotated[str, typer.Option("--type", help="theoretical, operational, code, …")] = "theoretical",
    title: Annotated[str, typer.Option("--title")] = "",
    db: DbOption = None,
) -> None:
    """Write a memo on the project, a code, a document or a statement."""
    kind, _, name = on.partition(":")
    if kind not in ("project", "code", "document", "statement") or (kind != "project" and not name):
        fail(f"--on takes project, code:NAME, document:D03 or statement:D03-S017; got {on!r}")
    with project(db) as opened:
        workbench = workbench_for(opened, coder)
        target_id: int | None = None
        if kind == "code":
            target_id = _code_id(opened, name, None)
        elif kind == "document":
            target_id = workbench.find_document(name)[0]
        elif kind == "statement":
            target_id = _one_statement(workbench, name)
        memo_target = "sentence" if kind == "statement" else kind  # the engine's word for a statement
        memo_id = workbench.add_memo(text, type_=type_, target=memo_target, target_id=target_id, title=title)
    typer.echo(f"memo {memo_id} written on {on}")
