"""``qcoder report KIND``: what a GT paper prints, straight from the project database.

Kinds: hierarchy, tables, frequencies, matrix, cooccurrence, saturation, words, diagram.
Formats: text, md, csv, json, xlsx, docx (tables); svg, png (saturation curve); mermaid, dot
(diagram). Without ``--format`` the format follows ``-o``'s extension, else text (mermaid for
the diagram). Binary formats go to ``-o FILE``, or to stdout when it is not a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from qcoder.errors import QcoderError

KIND_HELP = "hierarchy | tables | frequencies | matrix | cooccurrence | saturation | words | diagram"


def report(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    fmt: Annotated[
        Optional[str],
        typer.Option("--format", "-f", help="text, md, csv, json, xlsx, docx; svg, png (saturation); mermaid, dot (diagram)"),
    ] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (format from its extension)")] = None,
    db: Annotated[Optional[str], typer.Option("--db", help="Project: a file path (SQLite) or a postgresql:// URL")] = None,
    coder: Annotated[Optional[str], typer.Option("--coder", help="Count only this coder's codings")] = None,
    level: Annotated[Optional[str], typer.Option("--level", help="Level to report on: 0-3, concept, 初始范畴, …")] = None,
) -> None:
    """Reports for the paper: count chain, category tables, frequencies, saturation, diagrams."""
    from qcoder.analysis.report import BINARY, check, default_format, format_for_path, write_report
    from qcoder.store.database import open_project

    root_db = ctx.find_root().params.get("db") if ctx.parent is not None else None
    try:
        chosen = fmt or format_for_path(output) or default_format(kind)
        check(kind, chosen)
        if output is None and chosen in BINARY and sys.stdout.isatty():
            raise QcoderError(f"{chosen} is a binary format: write it to a file with -o FILE")
        project = open_project(db or root_db, create=False)
        try:
            for notice in project.notices:
                typer.echo(notice, err=True)
            result = write_report(kind, project, chosen, output, coder=coder, level=level)
        finally:
            project.close()
    except QcoderError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if isinstance(result, Path):
        typer.echo(f"wrote {result} ({kind}, {chosen})")
    elif isinstance(result, bytes):
        sys.stdout.buffer.write(result)
        sys.stdout.buffer.flush()
    else:
        typer.echo(result, nl=not result.endswith("\n"))


def register(app: typer.Typer) -> None:
    """Add ``qcoder report`` to the main app."""
    app.command("report")(report)
