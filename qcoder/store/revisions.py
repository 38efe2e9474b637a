"""Which schema revisions this qcoder knows, read from the migration scripts' text.

Opening a project only needs the head revision and the set of known ones; reading them
here, without importing alembic or SQLAlchemy, keeps both off the start of the CLI and
of the workbench (a test checks the answers against alembic's own).
"""

from __future__ import annotations

import re
from pathlib import Path

from qcoder.errors import SchemaMismatch

_PACKAGE_DIR = Path(__file__).resolve().parent.parent

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)", re.MULTILINE)


def migrations_dir() -> Path:
    """``qcoder/_migrations`` in a wheel, the top-level ``migrations/`` in a checkout."""
    for candidate in (_PACKAGE_DIR / "_migrations", _PACKAGE_DIR.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise SchemaMismatch("qcoder's migration scripts are missing; reinstall qcoder")


def revision_graph() -> dict[str, str | None]:
    """revision → down_revision of every migration script."""
    graph: dict[str, str | None] = {}
    for script in sorted((migrations_dir() / "versions").glob("*.py")):
        source = script.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision and down:
            graph[revision.group(1)] = down.group(1)
    return graph


def head_revision() -> str:
    graph = revision_graph()
    heads = set(graph) - {down for down in graph.values() if down}
    if len(heads) != 1:
        raise SchemaMismatch(f"qcoder's migration scripts have {len(heads)} heads; reinstall qcoder")
    return heads.pop()


def known_revisions() -> set[str]:
    return set(revision_graph())
