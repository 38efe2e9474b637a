"""``qcoder team add|list|set-role``: the members of a PostgreSQL project and their roles.

Annotations are evaluated eagerly (no ``from __future__ import annotations``): typer reads them.
"""

from typing import Annotated

import typer

from qcoder.commands.common import DbOption, FormatOption, emit, project

team_app = typer.Typer(
    help="Team members and their roles on a PostgreSQL project (owner, coder, reviewer).", no_args_is_help=True
)

RoleOption = Annotated[str, typer.Option("--role", help="owner, coder or reviewer")]
ReconcileOption = Annotated[
    bool | None,
    typer.Option("--reconcile/--no-reconcile", help="May write the consensus coder during reconciliation"),
]


def _line(row: dict[str, object]) -> str:
    extra = "  (reconciles)" if row["reconcile"] and row["role"] != "owner" else ""
    return f"{row['login']}  {row['role']}{extra}"


@team_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="The member's PostgreSQL login role")],
    role: RoleOption = "coder",
    reconcile: ReconcileOption = None,
    db: DbOption = None,
) -> None:
    """Make a PostgreSQL login a member of the project (an owner or the administrator does this)."""
    from qcoder.store.team import set_role

    with project(db, create=False) as opened:
        member = opened.run(lambda s: set_role(s, name, role, reconcile=reconcile, add=True))
    typer.echo(f"added {_line(member.__dict__)}")


@team_app.command("set-role")
def set_role_command(
    name: Annotated[str, typer.Argument(help="The member's PostgreSQL login role")],
    role: RoleOption,
    reconcile: ReconcileOption = None,
    db: DbOption = None,
) -> None:
    """Change a member's project role (and reconcile right)."""
    from qcoder.store.team import set_role

    with project(db, create=False) as opened:
        member = opened.run(lambda s: set_role(s, name, role, reconcile=reconcile))
    typer.echo(f"now {_line(member.__dict__)}")


@team_app.command("list")
def list_members(db: DbOption = None, fmt: FormatOption = "text") -> None:
    """The members, their roles and who may reconcile."""
    from qcoder.store.team import members

    with project(db, create=False) as opened, opened.session() as session:
        rows = members(session)
    emit(rows, fmt, _line)
