"""CLI commands for exchange: export, import of codebooks and projects, merging copies.

Heavy modules (lxml, openpyxl, the exchange package) load only when a command runs, so
``qcoder --help`` stays fast. Imports and merges show their plan and change nothing unless
``--apply`` is given; every failure is a ``QcoderError`` the CLI prints as one line.
Annotations are evaluated eagerly (no ``from __future__ import annotations``): typer reads
them, and the option types come from ``qcoder.cli`` inside ``register``.
"""


import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add ``export codebook|project``, ``import-codebook``, ``import-project`` and ``merge``."""
    from qcoder.cli import DbOption, FormatOption, _project

    export_app = typer.Typer(help="Export the codebook or the whole project for other tools.", no_args_is_help=True)
    app.add_typer(export_app, name="export")

    @export_app.command("codebook")
    def export_codebook(
        output: Annotated[Path, typer.Option("-o", "--output", help="File to write: .qdc .csv .md .json or .xlsx")],
        db: DbOption = None,
    ) -> None:
        """Write the codebook (format from the file's suffix)."""
        from qcoder.exchange.codebook import write_codebook

        with _project(db) as project, project.session() as session:
            count = write_codebook(session, output)
        typer.echo(f"wrote {count} codes to {output}")

    @export_app.command("project")
    def export_project(
        output: Annotated[Path, typer.Option("-o", "--output", help="The .qdpx file to write")],
        db: DbOption = None,
        name: Annotated[Optional[str], typer.Option("--name", help="Project name shown in other tools")] = None,
        positions: Annotated[str, typer.Option(
            "--positions", help="Unit of selection offsets: codepoints (the standard) or utf16 (for NVivo)",
        )] = "codepoints",
    ) -> None:
        """Write the whole project as REFI-QDA .qdpx (NVivo, ATLAS.ti, MAXQDA, QualCoder)."""
        from qcoder.errors import QcoderError
        from qcoder.exchange.positions import UNITS
        from qcoder.exchange.qdpx_export import project_name, write_project

        if positions not in UNITS:
            raise QcoderError(f"--positions takes codepoints or utf16 (utf16 for NVivo); got {positions!r}")
        with _project(db) as project, project.session() as session:
            summary = write_project(session, output, name=name or project_name(project.url), positions=positions)
        typer.echo(f"wrote {output}: {summary.line()}")

    @app.command("import-codebook")
    def import_codebook(
        file: Annotated[Path, typer.Argument(help="A .qdc, .qdpx, .csv or .json codebook")],
        db: DbOption = None,
        apply: Annotated[bool, typer.Option("--apply", help="Make the changes (without it: show the plan only)")] = False,
        coder: Annotated[Optional[str], typer.Option("--coder", help="Coder credited with the changes")] = None,
        fmt: FormatOption = "text",
    ) -> None:
        """Show what importing a codebook would do; with --apply, do it (conflicting codes are skipped)."""
        from qcoder.coding.coders import get_or_create_coder
        from qcoder.exchange.codebook import apply_plan, plan_codebook_import, read_codebook
        from qcoder.store.settings import levels

        parsed = read_codebook(file)
        with _project(db) as project:
            if apply:
                def work(session: Any) -> tuple[Any, list[str]]:
                    plan = plan_codebook_import(session, parsed)
                    apply_plan(session, plan, coder=get_or_create_coder(session, coder) if coder else None)
                    return plan, plan.lines(levels(session))

                plan, lines = project.run(work)
            else:
                with project.session() as session:
                    plan = plan_codebook_import(session, parsed)
                    lines = plan.lines(levels(session))
        if fmt == "json":
            rows = [
                {"kind": i.kind, "name": i.entry.name, "level": i.level, "guid": i.entry.guid, "reason": i.reason,
                 "changes": {k: list(v) for k, v in i.changes.items()}, "where": i.entry.where}
                for i in plan.items
            ]
            typer.echo(json.dumps({"applied": apply, "codes": rows, "notes": plan.notes}, ensure_ascii=False, indent=2))
            return
        for line in [*lines, *plan.notes]:
            typer.echo(line)
        if apply:
            typer.echo(f"applied: {plan.summary()}" + (" (conflicting codes skipped)" if plan.count("conflicting") else ""))
        else:
            typer.echo(f"plan: {plan.summary()}; nothing changed — run again with --apply to import")

    @app.command("import-project")
    def import_project(
        file: Annotated[Path, typer.Argument(help="A REFI-QDA project: .qdpx (or a bare .qde)")],
        db: DbOption = None,
        coder: Annotated[str, typer.Option("--coder", help="Coder for codings the file does not attribute")] = "imported",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; store nothing")] = False,
    ) -> None:
        """Import documents, codes, codings, memos and relations from NVivo, ATLAS.ti, MAXQDA or qcoder."""
        from qcoder.exchange.package import read_package
        from qcoder.exchange.qdpx_import import import_project as run_import

        package = read_package(file)
        with _project(db) as project:
            if dry_run:
                with project.write_session_factory() as session:
                    report = run_import(session, package, fallback_coder=coder)
                    session.rollback()
            else:
                report = project.run(lambda session: run_import(session, package, fallback_coder=coder))
        for line in report.lines():
            typer.echo(line)
        if dry_run:
            typer.echo("dry run: nothing was stored")

    @app.command("merge")
    def merge(
        other: Annotated[str, typer.Argument(help="The other copy: a project file or a postgresql:// URL")],
        db: DbOption = None,
        apply: Annotated[bool, typer.Option("--apply", help="Merge (without it: show the plan only)")] = False,
        prefer: Annotated[Optional[str], typer.Option("--prefer", help="Resolve every conflict: ours or theirs")] = None,
        choose: Annotated[list[str], typer.Option("--choose", help="GUID=ours|theirs for one conflict (repeatable)")] = [],
    ) -> None:
        """Bring another coder's copy of the project into this one (nothing is removed)."""
        from qcoder.errors import QcoderError
        from qcoder.exchange.merge import apply_merge, plan_merge
        from qcoder.store.database import open_other_project

        choices: dict[str, str] = {}
        for item in choose:
            key, sep, value = item.partition("=")
            if not sep:
                raise QcoderError(f"--choose takes GUID=ours|theirs, got {item!r}")
            choices[key.strip()] = value.strip()
        with _project(db) as project, open_other_project(other) as theirs:  # only read: never changed
            for notice in theirs.notices:
                typer.echo(f"OTHER: {notice}", err=True)
            plan = apply_merge(project, theirs, prefer=prefer, choices=choices) if apply else plan_merge(project, theirs)
        for line in plan.lines():
            typer.echo(line)
        if not apply:
            typer.echo("nothing changed — run again with --apply" + (" and --prefer ours|theirs" if plan.conflicts else ""))
        elif plan.adds_nothing:
            typer.echo("merged: nothing new")
        else:
            typer.echo("merged")
