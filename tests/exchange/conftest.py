"""Fixtures for exchange tests (helpers live in ``exchange_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_helpers import build_rich_project

from qcoder.store.database import Project, open_project


@pytest.fixture
def rich_project(project: Project) -> Project:
    build_rich_project(project)
    return project


@pytest.fixture
def second_project(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Project]:
    """Another empty project on the same backend as ``project`` (an import or merge target)."""
    if db_url.startswith("sqlite"):
        opened = open_project(f"sqlite:///{tmp_path / 'second.qcoder.db'}")
        try:
            yield opened
        finally:
            opened.close()
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    opened = open_project(server.url(name))
    try:
        yield opened
    finally:
        opened.close()
        server.drop_database(name)
