"""The README's test command checks style and types too: ruff (lint and format) and mypy, as CI runs them.

The rules are in pyproject.toml ([tool.ruff], [tool.mypy]). Without the tools (an install without the
`test` extra) these tests are skipped, except under CI=true, where they must run.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCOPE = ["qcoder", "tests", "bench", "migrations"]


def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{module} is not installed; CI needs the `test` extra (pip install -e '.[test]')")
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_ruff_finds_nothing() -> None:
    _needs("ruff")
    result = _run("ruff", "check", "--no-cache", *SCOPE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted() -> None:
    _needs("ruff")
    result = _run("ruff", "format", "--check", "--no-cache", *SCOPE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_catches_an_unused_import(tmp_path: Path) -> None:
    """The configuration is read and applies: a module with an unused import fails the check."""
    _needs("ruff")
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "qcoder").mkdir()
    (tmp_path / "qcoder" / "bad.py").write_text("import os\n", encoding="utf-8")
    result = _run("ruff", "check", "--no-cache", "qcoder", cwd=tmp_path)
    assert result.returncode == 1
    assert "F401" in result.stdout


def test_mypy_finds_no_type_errors(tmp_path: Path) -> None:
    _needs("mypy")
    result = _run("mypy", "--cache-dir", str(tmp_path / "mypy-cache"), "qcoder")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout
