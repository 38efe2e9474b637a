"""Scale codes and exclusive sets from the command line: ``qcoder scale`` and ``qcoder exclusive``.

Coding with a scale is ``qcoder code ID --code SCALE --value VALUE`` (see ``commands.coding``).
Annotations are evaluated eagerly (no ``from __future__ import annotations``): typer reads them.
"""

from typing import Annotated

import typer

from qcoder.commands.common import DbOption, project


def scale(
    name: Annotated[str, typer.Argument(help="The scale's code name, e.g. 情绪强度 (created if missing)")],
    values: Annotated[
        str, typer.Option("--values", help="The values in order, comma separated: 弱,中,强 or 1,2,3,4,5")
    ],
    measurement: Annotated[
        str, typer.Option("--measure", help="Level of measurement: nominal, ordinal, interval or ratio")
    ] = "ordinal",
    level: Annotated[
        str | None, typer.Option("--level", help="The scale's level in the code ladder (1 or higher; default 1)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Make a code a scale: its children are ordered values; a coder gives a statement one of them."""
    from qcoder.coding.scales import make_scale, variables
    from qcoder.store.settings import resolve_level

    parts = [v.strip() for v in values.replace("，", ",").split(",")]
    with project(db) as opened, opened.session() as session:
        rank = resolve_level(session, level).rank if level is not None else 1
        code = make_scale(session, name, parts, measurement, level=rank)
        session.commit()
        found = next(v for v in variables(session) if v.code_id == code.id)
    shown = ", ".join(f"{n} ({x:g})" for n, x in zip(found.value_names, found.numbers))
    typer.echo(f"{found.name} is now a scale ({measurement}) with {len(found.value_names)} values: {shown}")


def exclusive(
    name: Annotated[str, typer.Argument(help="The parent code whose children are mutually exclusive")],
    off: Annotated[bool, typer.Option("--off", help="Make the children combinable again")] = False,
    db: DbOption = None,
) -> None:
    """Mark a code's children mutually exclusive (one categorical variable: one child per statement and coder)."""
    from qcoder.coding.codes import find_code
    from qcoder.coding.scales import set_exclusive

    with project(db) as opened, opened.session() as session:
        code = set_exclusive(session, find_code(session, name), not off)
        session.commit()
        typer.echo(f"the codes under {code.name} are {'combinable' if off else 'mutually exclusive'}")
