"""The command reference (docs/cli.md) and the command line agree, both ways.

Read from the live Typer app, so a command added, renamed or removed without its line in
the reference fails here (after sqlite-utils' ``test_docs.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from qcoder.cli import app

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "cli.md"
ROW = re.compile(r"^\|\s*`(qcoder(?: [a-z][a-z0-9-]*)+)`\s*\|\s*(.*?)\s*\|\s*$")


def _walk(command: Any, path: str) -> Iterator[str]:
    """Every visible command below ``command``, groups and their sub-commands included."""
    for name, sub in (getattr(command, "commands", None) or {}).items():  # a group has ``commands``
        if not sub.hidden:
            yield f"{path} {name}"
            yield from _walk(sub, f"{path} {name}")


COMMANDS = sorted(_walk(get_command(app), "qcoder"))


def _documented() -> dict[str, str]:
    """``qcoder …`` → its one-line description, from the reference's table rows."""
    rows: dict[str, str] = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            assert match.group(1) not in rows, f"{match.group(1)} is listed twice in docs/cli.md"
            rows[match.group(1)] = match.group(2)
    return rows


DOCUMENTED = _documented()


def test_the_app_has_its_commands_and_groups() -> None:
    """The walk sees sub-groups: an empty or flat list would make the checks below vacuous."""
    assert {"qcoder import", "qcoder db", "qcoder db check", "qcoder export project"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_reference(command: str) -> None:
    assert command in DOCUMENTED, f"`{command}` is missing from docs/cli.md"
    assert DOCUMENTED[command], f"`{command}` has no description in docs/cli.md"


@pytest.mark.parametrize("command", sorted(DOCUMENTED))
def test_every_documented_command_exists(command: str) -> None:
    assert command in COMMANDS, f"docs/cli.md lists `{command}`, which the command line does not have"


def test_the_readme_links_the_reference() -> None:
    assert "docs/cli.md" in (ROOT / "README.md").read_text(encoding="utf-8")
