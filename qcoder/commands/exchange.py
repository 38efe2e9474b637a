"""CLI commands for exchange: export, import of codebooks and projects, merging copies.

The work is ``qcoder.exchange.tasks``, the same calls the workbench's exchange dialogs make.
Heavy modules (lxml, openpyxl, the exchange package) load only when a command runs, so
``qcoder --help`` stays fast. Imports and merges show their plan and change nothing unless
``--apply`` is given; every failure is a ``QcoderError`` the CLI prints as one line.
Annotations are evaluated eagerly (no ``from __future__ import annotations``): typer reads them.
"""

import json
from pathlib import Path
from typing import Annotated

import typer

from qcoder.commands.common import DbOption, FormatOption, project
from qcoder.errors import QcoderError

LevelsOption = Annotated[
    str | None,
    typer.Option(
        "--levels",
        help="A code tree deeper than the level ladder: auto (extend the ladder) or map (deeper codes at the top level)",
    ),
]


def _check_levels(levels: str | None) -> None:
    if levels is not None and levels not in ("auto", "map"):
        raise QcoderError(f"--levels takes auto (extend the ladder) or map (depth onto the ladder); got {levels!r}")


export_app = typer.Typer(help="Export the codebook or the whole project for other tools.", no_args_is_help=True)


@export_app.command("codebook")
def export_codebook(
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write: .qdc .csv .md .json or .xlsx")],
    db: DbOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="taguette: a .csv Taguette imports (no 'name' column); qualcoder: a .csv QualCoder's"
            " Import codes reads (category>>code, memo; no header)",
        ),
    ] = None,
) -> None:
    """Write the codebook (format from the file's suffix)."""
    from qcoder.exchange import tasks

    if fmt is not None and fmt not in ("taguette", "qualcoder"):
        raise QcoderError(f"--format takes taguette or qualcoder (a CSV Taguette or QualCoder imports); got {fmt!r}")
    with project(db, create=False) as opened:
        typer.echo(tasks.export_codebook_file(opened, output, fmt))


@export_app.command("project")
def export_project(
    output: Annotated[Path, typer.Option("-o", "--output", help="The .qdpx file to write")],
    db: DbOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Project name shown in other tools")] = None,
    positions: Annotated[
        str,
        typer.Option(
            "--positions",
            help="Unit of selection offsets: codepoints (the standard) or utf16 (for NVivo)",
        ),
    ] = "codepoints",
) -> None:
    """Write the whole project as REFI-QDA .qdpx (NVivo, ATLAS.ti, MAXQDA, QualCoder)."""
    from qcoder.exchange import tasks
    from qcoder.exchange.positions import UNITS

    if positions not in UNITS:
        raise QcoderError(f"--positions takes codepoints or utf16 (utf16 for NVivo); got {positions!r}")
    with project(db, create=False) as opened:
        typer.echo(tasks.export_project_file(opened, output, positions, name=name))


def import_codebook(
    file: Annotated[Path, typer.Argument(help="A .qdc, .qdpx, .csv or .json codebook")],
    db: DbOption = None,
    apply: Annotated[bool, typer.Option("--apply", help="Make the changes (without it: show the plan only)")] = False,
    coder: Annotated[str | None, typer.Option("--coder", help="Coder credited with the changes")] = None,
    fmt: FormatOption = "text",
    levels: LevelsOption = None,
) -> None:
    """Show what importing a codebook would do; with --apply, do it (conflicting codes are skipped)."""
    from qcoder.exchange import tasks
    from qcoder.exchange.codebook import read_codebook

    _check_levels(levels)
    parsed = read_codebook(file)  # a file that cannot be read creates no project
    with project(db) as opened:
        if apply:
            preview = tasks.import_codebook(opened, file, coder, parsed, levels_mode=levels)
        else:
            preview = tasks.preview_codebook(opened, file, parsed, levels_mode=levels)
    plan = preview.plan
    if fmt == "json":
        rows = [
            {
                "kind": i.kind,
                "name": i.entry.name,
                "level": i.level,
                "guid": i.entry.guid,
                "reason": i.reason,
                "changes": {k: list(v) for k, v in i.changes.items()},
                "where": i.entry.where,
            }
            for i in plan.items
        ]
        typer.echo(json.dumps({"applied": apply, "codes": rows, "notes": plan.notes}, ensure_ascii=False, indent=2))
        return
    for line in preview.lines():
        typer.echo(line)
    if apply:
        typer.echo(f"applied: {plan.summary()}" + (" (conflicting codes skipped)" if plan.count("conflicting") else ""))
    else:
        typer.echo(f"plan: {plan.summary()}; nothing changed — run again with --apply to import")


def import_project(
    file: Annotated[Path, typer.Argument(help="A REFI-QDA project: .qdpx (or a bare .qde)")],
    db: DbOption = None,
    coder: Annotated[str, typer.Option("--coder", help="Coder for codings the file does not attribute")] = "imported",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; store nothing")] = False,
    levels: LevelsOption = None,
) -> None:
    """Import documents, codes, codings, memos and relations from NVivo, ATLAS.ti, MAXQDA, QualCoder, qc or qcoder."""
    from qcoder.exchange import tasks
    from qcoder.exchange.package import read_package

    _check_levels(levels)
    package = read_package(file)  # a file that cannot be read creates no project
    with project(db) as opened:
        if dry_run:
            report = tasks.preview_project(opened, file, package, fallback_coder=coder, levels_mode=levels).report
        else:
            report = tasks.import_package(opened, package, fallback_coder=coder, levels_mode=levels)
    for line in report.lines():
        typer.echo(line)
    if dry_run:
        typer.echo("dry run: nothing was stored")


def merge(
    other: Annotated[str, typer.Argument(help="The other copy: a project file or a postgresql:// URL")],
    db: DbOption = None,
    apply: Annotated[bool, typer.Option("--apply", help="Merge (without it: show the plan only)")] = False,
    prefer: Annotated[str | None, typer.Option("--prefer", help="Resolve every conflict: ours or theirs")] = None,
    choose: Annotated[list[str], typer.Option("--choose", help="GUID=ours|theirs for one conflict (repeatable)")] = [],
) -> None:
    """Bring another coder's copy of the project into this one (nothing is removed)."""
    from qcoder.exchange import tasks

    choices: dict[str, str] = {}
    for item in choose:
        key, sep, value = item.partition("=")
        if not sep:
            raise QcoderError(f"--choose takes GUID=ours|theirs, got {item!r}")
        choices[key.strip()] = value.strip()

    def notice(line: str) -> None:
        typer.echo(line, err=True)

    with project(db) as opened:  # the other copy is only read: never changed
        if apply:
            plan = tasks.run_merge(opened, other, choices, prefer=prefer, notices=notice)
        else:
            plan = tasks.preview_merge(opened, other, notices=notice)
    for line in plan.lines():
        typer.echo(line)
    if not apply:
        typer.echo("nothing changed — run again with --apply" + (" and --prefer ours|theirs" if plan.conflicts else ""))
    elif plan.adds_nothing:
        typer.echo("merged: nothing new")
    else:
        typer.echo("merged")
