"""The engine must stay usable without the terminal UI: only qcoder/tui imports Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "qcoder"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_textual_import_outside_tui() -> None:
    offenders = [
        str(path.relative_to(PACKAGE.parent))
        for path in PACKAGE.rglob("*.py")
        if "tui" not in path.relative_to(PACKAGE).parts and "textual" in _imports(path)
    ]
    assert offenders == []


def _loaded_after_importing(modules: str, packages: tuple[str, ...]) -> list[str]:
    """Which of ``packages`` a fresh interpreter has loaded after importing ``modules``."""
    code = (
        f"import sys, {modules};"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(packages)!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip())


def test_engine_imports_without_loading_textual() -> None:
    modules = "qcoder.cli, qcoder.coding.workbench, qcoder.corpus.importer, qcoder.store.database"
    assert _loaded_after_importing(modules, ("textual",)) == []


def test_cli_and_workbench_start_without_loading_sqlalchemy() -> None:
    """`qcoder tui` draws its first frame before the engine loads (see qcoder.coding.first_look)."""
    modules = "qcoder.cli, qcoder.tui.app, qcoder.coding.first_look"
    assert _loaded_after_importing(modules, ("sqlalchemy", "alembic")) == []
