"""``qcoder report KIND``: what a GT paper prints, straight from the project database.

Kinds: hierarchy, tables, frequencies, matrix, cooccurrence, saturation, words, diagram.
Formats: text, md, csv, json, xlsx, docx (tables); svg, png (saturation curve); mermaid, dot
(diagram). Without ``--format`` the format follows ``-o``'s extension, else text (mermaid for
the diagram). Binary formats go to ``-o FILE``, or to stdout when it is not a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qcoder.commands.common import DbOption, project
from qcoder.errors import QcoderError

KIND_HELP = (
    "hierarchy | tables | frequencies | matrix | cooccurrence | saturation | words | diagram | methods | "
    "figure (hierarchy, relations or saturation)"
)


def report(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    what: Annotated[
        str | None, typer.Argument(help="With figure: hierarchy, relations or saturation", show_default=False)
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="text, md, csv, json, xlsx, docx; svg, png (saturation); mermaid, dot (diagram)"
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (format from its extension)")
    ] = None,
    db: DbOption = None,
    coder: Annotated[str | None, typer.Option("--coder", help="Count only this coder's codings")] = None,
    level: Annotated[str | None, typer.Option("--level", help="Level to report on: 0-3, concept, 初始范畴, …")] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="matrix: codes by a statement attribute (speaker, question, page) or a document attribute "
            "(attr:性别): counts, and 0/1 per case",
        ),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="methods: zh or en (default: the project's)")] = None,
) -> None:
    """Reports for the paper: count chain, category tables, frequencies, saturation, diagrams, methods, figures."""
    from qcoder.analysis.report import BINARY, check, default_format, format_for_path, write_report

    if kind in ("methods", "figure"):
        _paper_part(kind, what, output, fmt, db, lang)
        return
    if what is not None:
        raise QcoderError(f"report {kind} takes no second argument (got {what!r})")

    chosen = fmt or format_for_path(output) or default_format(kind)
    check(kind, chosen)
    if output is None and chosen in BINARY and sys.stdout.isatty():
        raise QcoderError(f"{chosen} is a binary format: write it to a file with -o FILE")
    with project(db, create=False) as opened:
        result = write_report(kind, opened, chosen, output, coder=coder, level=level, by=by)
    if isinstance(result, Path):
        typer.echo(f"wrote {result} ({kind}, {chosen})")
    elif isinstance(result, bytes):
        sys.stdout.buffer.write(result)
        sys.stdout.buffer.flush()
    else:
        typer.echo(result, nl=not result.endswith("\n"))


def _paper_part(
    kind: str, what: str | None, output: Path | None, fmt: str | None, db: str | None, lang: str | None
) -> None:
    """``report methods -o methods.docx`` and ``report figure hierarchy -o fig.png``: files for the paper."""
    if output is None:
        example = "methods.docx" if kind == "methods" else f"{what or 'hierarchy'}.png"
        raise QcoderError(f"report {kind} writes a file: add -o {example}")
    chosen = fmt or output.suffix.lower().lstrip(".")
    with project(db, create=False) as opened, opened.session() as session:
        if kind == "methods":
            from qcoder.analysis.methods import methods_file

            content = methods_file(session, chosen, lang)
        else:
            from qcoder.analysis.figures import FIGURES, figure

            if what not in FIGURES:
                raise QcoderError(f"report figure takes one of: {', '.join(FIGURES)}")
            content = figure(session, what, chosen, lang)
    if isinstance(content, str):
        output.write_text(content, encoding="utf-8")
    else:
        output.write_bytes(content)
    typer.echo(f"wrote {output} ({kind}{' ' + what if what else ''}, {chosen})")
