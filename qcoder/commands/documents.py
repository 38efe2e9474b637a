"""Documents: ``import`` (decode, clean, split, tokenize), ``docs`` (the list) and ``show`` (one document).

Annotations are evaluated eagerly (no ``from __future__ import annotations``): typer reads them.
"""

import json
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from qcoder.commands.common import DbOption, FormatOption, emit, parse_attrs, project


def import_(
    files: Annotated[list[Path], typer.Argument(help=".txt, .md or .docx files")],
    db: DbOption = None,
    attr: Annotated[list[str], typer.Option("--attr", help="Document attribute key=value (repeatable)")] = [],
    role: Annotated[
        str, typer.Option("--role", help="coding, or holdout (kept back for the saturation check)")
    ] = "coding",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what each step would change; store nothing")
    ] = False,
    to_simplified: Annotated[
        bool | None,
        typer.Option("--simplified/--keep-script", help="Convert Traditional to Simplified (default: project setting)"),
    ] = None,
    semicolon: Annotated[
        bool | None, typer.Option("--split-semicolon/--no-split-semicolon", help="Also split statements at ；")
    ] = None,
    keep_repeated: Annotated[
        bool,
        typer.Option(
            "--keep-repeated",
            help="Keep repeated short lines: drop no running heads (page numbers and journal footers still go)",
        ),
    ] = False,
    units: Annotated[
        str,
        typer.Option(
            "--units",
            help="sentences (default); lines: each non-empty line one statement; "
            "paragraphs: each blank-line-separated block one statement",
        ),
    ] = "sentences",
    interviewer_context: Annotated[
        bool | None,
        typer.Option(
            "--interviewer-context/--code-interviewer",
            help="Keep interviewer turns (访谈者, 问, Q ...) as context, not for coding (default: project setting)",
        ),
    ] = None,
    text_column: Annotated[
        list[str], typer.Option("--text-column", help="Spreadsheets: a column whose cells become statements")
    ] = [],
    id_column: Annotated[
        str | None, typer.Option("--id-column", help="Spreadsheets: the column that names each row (case)")
    ] = None,
    fmt: FormatOption = "text",
) -> None:
    """Import documents: decode, clean, split into statements, tokenize."""
    from qcoder.corpus.importer import prepare, store_prepared
    from qcoder.corpus.types import ImportRefused
    from qcoder.store.settings import pipeline_options

    attributes = parse_attrs(attr)
    results, refused = [], 0
    with project(db) as opened:
        with opened.session() as session:
            options = pipeline_options(
                session,
                to_simplified=to_simplified,
                split_on_semicolon=semicolon,
                keep_repeated=keep_repeated,
                units=units,
                interviewer_context=interviewer_context,
                text_columns=tuple(text_column) or None,
                id_column=id_column,
            )
        for path in files:
            try:
                prepared = prepare(path, options, project=opened, attributes=attributes, role=role)
                if dry_run or prepared.duplicate is not None:  # nothing to write: no write transaction
                    result = prepared.preview()
                else:
                    result = opened.run(partial(store_prepared, prepared=prepared))
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
                    if result.documents > 1:
                        verb = (
                            f"would import {result.documents} documents"
                            if dry_run
                            else f"imported {result.documents} documents as {result.labels[0]}–{result.labels[-1]}"
                        )
                    typer.echo(
                        f"{path}: {verb}: {result.statements} statements ({result.headings} headings), "
                        f"encoding {result.encoding}"
                    )
                    for line in result.report:
                        if "visible placeholders" in line and not dry_run:  # said at import, not only in a dry run
                            typer.echo(f"  {line.strip()}")
                    if dry_run:
                        for line in result.report:
                            typer.echo(f"  {line}")
                        if any("running heads" in line for line in result.report):
                            typer.echo("  (to keep repeated lines, import with --keep-repeated)")
    if fmt == "json":
        typer.echo(json.dumps([r.__dict__ for r in results], ensure_ascii=False, indent=2))
    if refused:
        raise typer.Exit(1)


def docs(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """List the project's documents."""
    from qcoder.coding.listings import document_entries

    with project(db, create=False) as opened, opened.session() as session:
        rows = document_entries(session)
    emit(
        rows,
        fmt,
        lambda r: (
            f"{r['id']}  {r['statements']:>6} statements  {r['role']:<8} {r['name']}"
            + (f"  reviewed by {', '.join(r['reviewed_by'])}" if r["reviewed_by"] else "")
        ),
    )


def show(
    document: Annotated[str, typer.Argument(help="Document ID (D03) or name")],
    db: DbOption = None,
    fmt: FormatOption = "text",
    codes: Annotated[bool, typer.Option("--codes", help="Also list each statement's codes and coders")] = False,
) -> None:
    """Print a document's statements with their IDs."""
    from qcoder.coding.listings import statement_entries

    with project(db, create=False) as opened, opened.session() as session:
        label, name, rows = statement_entries(session, document, codes=codes)
    if fmt == "text":
        typer.echo(f"{label} {name} ({len(rows)} statements)")
    emit(
        rows,
        fmt,
        lambda r: (
            f"{r['id']}  {_statement_prefix(r['kind'], r['attributes'])}{r['text']}"
            + (f"  [{'; '.join(r['codes'])}]" if r["codes"] else "")
        ),
    )


def _statement_prefix(kind: str, attributes: dict[str, str]) -> str:
    """What `show` prints before a statement: heading mark, context mark, speaker and time, page, row."""
    shown = dict(attributes)
    parts = []
    if kind == "heading":
        level = shown.pop("level", "1")
        parts.append("#" * (int(level) if level.isdigit() else 1) + " ")
    if kind == "context":
        parts.append("(context) ")
    who = " ".join(x for x in (shown.pop("speaker", ""), shown.pop("time", "")) if x)
    rest = " ".join(f"{k}={v}" for k, v in shown.items())
    label = " ".join(x for x in (who, rest) if x)
    if label:
        parts.append(f"[{label}] ")
    return "".join(parts)
