"""The command line: a thin face over the engine, scriptable and JSON-friendly.

This module assembles the ``qcoder`` app from the command modules in ``qcoder.commands``
(which share their options and helpers through ``qcoder.commands.common``, never this
module), and is the one place the command line opens the other face, the terminal UI:
a bare ``qcoder``, ``qcoder tui`` and ``qcoder demo``. Every failure the user can act on
is one line on stderr and a non-zero exit code — never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from qcoder.commands import (
    agreement,
    codebook,
    coding,
    common,
    documents,
    exchange,
    project,
    reports,
    scales,
    serve,
    suggest,
    team,
)
from qcoder.commands.common import DbOption, fail, state, visible_output
from qcoder.store.errors import user_message

# SQLAlchemy is imported by the commands that use it, not here: ``qcoder`` / ``qcoder tui``
# open the workbench before the engine has loaded (see qcoder.coding.first_look).


class _OneLineErrors(TyperGroup):
    """Turn every failure a user can cause into one line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        with visible_output():
            try:
                return super().invoke(ctx)
            except Exception as error:
                message = user_message(error, state.url)
                if message is None:
                    raise
                typer.echo(f"error: {message}", err=True)
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


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context, db: DbOption = None) -> None:
    """Without a command, open the coding workbench (TUI) on the project."""
    state.db, state.url = db, ""  # one process may run several commands (tests, scripts)
    if ctx.invoked_subcommand is None:
        _open_tui(db, None)


def _open_tui(db: str | None, coder: str | None, language: str | None = None) -> None:
    if language is not None and language not in ("en", "zh"):
        fail(f"--lang takes en or zh, not {language!r}")
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        fail("the workbench needs an interactive terminal; use the subcommands (`qcoder --help`) in scripts")
    from qcoder.tui.app import run_tui

    run_tui(db or state.db, coder, language)


def tui(
    db: DbOption = None,
    coder: Annotated[str | None, typer.Option("--coder")] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Interface language: en or zh (remembered). Default: the saved choice, else Chinese when the "
            "project's language or the locale is Chinese, else English (QCODER_LANG overrides the saved choice)",
        ),
    ] = None,
) -> None:
    """Open the coding workbench."""
    _open_tui(db, coder, lang)


def demo(
    db: DbOption = None,
    coder: Annotated[str | None, typer.Option("--coder")] = None,
    no_tui: Annotated[
        bool, typer.Option("--no-tui", help="Set up the demo project and print its summary only")
    ] = False,
) -> None:
    """Create (or reuse) a project from the sample corpus and open it.

    The project is --db, else $QCODER_DB, else a demo project under the user data folder;
    the first line printed says where it is.
    """
    import os

    from qcoder.demo import demo_project_path, load_demo

    target = db or state.db or os.environ.get("QCODER_DB") or str(demo_project_path())
    with common.project(target) as opened:
        for line in load_demo(opened):
            typer.echo(line)
    if not no_tui:
        if not sys.stdin.isatty() or not sys.stdout.isatty():
            typer.echo("(no interactive terminal: skipping the workbench; run `qcoder demo` in a terminal)")
            return
        _open_tui(target, coder)


# The commands, in the order ``qcoder --help`` lists them.
app.command("tui")(tui)
app.command("init")(project.init)
app.command("import")(documents.import_)
app.command("docs")(documents.docs)
app.command("show")(documents.show)
app.command("search")(coding.search)
app.command("codes")(coding.codes)
app.command("code")(coding.code)
app.command("uncode")(coding.uncode)
app.command("review")(coding.review)
app.command("undo")(coding.undo)
app.command("redo")(coding.redo)
app.command("coders")(coding.coders)
app.add_typer(codebook.codebook_app, name="codebook")
app.command("scale")(scales.scale)
app.command("exclusive")(scales.exclusive)
app.command("settings")(project.settings)
app.command("where")(project.where)
app.command("freeze")(project.freeze)
db_app.command("upgrade")(project.db_upgrade)
db_app.command("check")(project.db_check)
db_app.command("backup")(project.db_backup)
app.command("backup")(project.backup)
app.command("demo")(demo)
app.add_typer(exchange.export_app, name="export")
app.command("import-codebook")(exchange.import_codebook)
app.command("import-project")(exchange.import_project)
app.command("merge")(exchange.merge)
app.command("report")(reports.report)
app.command("agree")(agreement.agree)
app.command("reconcile")(agreement.reconcile)
app.add_typer(team.team_app, name="team")
app.command("similar")(suggest.similar)
app.add_typer(suggest.suggest_app, name="suggest")
app.command("serve")(serve.serve)


def main() -> None:
    """Console entry point: one-line errors, no tracebacks, for everything a user can cause."""
    try:
        app()
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
