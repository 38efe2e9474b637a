"""The engine must stay usable without the terminal UI: only qcoder/tui imports Textual.

The layer order and the rest of the import contracts are in pyproject.toml
(``[tool.importlinter]``); ``lint-imports`` checks them here too, so the README's test
command fails when a module imports against them.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qcoder"


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
    code = f"import sys, {modules};print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(packages)!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout.strip())


def test_engine_imports_without_loading_textual() -> None:
    modules = "qcoder.cli, qcoder.coding.workbench, qcoder.corpus.importer, qcoder.store.database"
    assert _loaded_after_importing(modules, ("textual",)) == []


def test_cli_and_workbench_start_without_loading_sqlalchemy() -> None:
    """`qcoder tui` draws its first frame before the engine loads (see qcoder.coding.first_look)."""
    modules = "qcoder.cli, qcoder.tui.app, qcoder.coding.first_look"
    assert _loaded_after_importing(modules, ("sqlalchemy", "alembic")) == []


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the tree at ``root``: its qcoder first on the path, whatever is installed."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    code = "from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", "--no-logo"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_import_contracts_are_kept() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_import_contracts_catch_an_import_against_the_layers(tmp_path: Path) -> None:
    """A copy of the tree with a store module importing analysis and coding importing Textual fails both contracts."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(PACKAGE, tmp_path / "qcoder", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "qcoder" / "store" / "models.py").open("a", encoding="utf-8") as store_module:
        store_module.write("\nfrom qcoder.analysis import table  # noqa: E402, F401\n")
    with (tmp_path / "qcoder" / "coding" / "records.py").open("a", encoding="utf-8") as coding_module:
        coding_module.write("\nimport textual  # noqa: E402, F401\n")
    result = _lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "qcoder.store is not allowed to import qcoder.analysis" in result.stdout
    assert "qcoder.coding is not allowed to import textual" in result.stdout
