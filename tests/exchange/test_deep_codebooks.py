"""A code tree deeper than the level ladder (qc's demo has 7 levels): extend or map, and say which."""

from __future__ import annotations

from pathlib import Path

from factories import qc
from sqlalchemy import select

from qcoder.exchange.codebook import read_codebook
from qcoder.exchange.tasks import import_codebook, preview_codebook
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code
from qcoder.store.settings import levels

NAMES = ["root", "theme", "topic", "sub", "facet", "detail"]  # six levels: two more than the default ladder


def deep_qdc(tmp_path: Path) -> Path:
    inner = ""
    for number, name in reversed(list(enumerate(NAMES, start=1))):
        guid = f"6D1C0000-0000-4000-8000-0000000000{number:02d}"
        inner = f'<Code guid="{guid}" name="{name}" isCodable="true">{inner}</Code>'
    path = tmp_path / "deep.qdc"
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{inner}'
        "</Codes></CodeBook>",
        encoding="utf-8",
    )
    return path


def tree(project: Project) -> list[tuple[str, int, str | None]]:
    with project.session() as s:
        return sorted((c.name, c.level, c.parent.name if c.parent else None) for c in s.scalars(select(Code)))


def test_without_a_choice_the_plan_says_which_options_exist(project: Project, tmp_path: Path) -> None:
    preview = preview_codebook(project, deep_qdc(tmp_path), read_codebook(deep_qdc(tmp_path)))
    assert preview.plan.count("conflicting") == 6  # the two too deep, and everything below them
    assert any("--levels auto" in note and "--levels map" in note for note in preview.plan.notes)


def test_levels_auto_extends_the_ladder_and_keeps_every_depth(project: Project, tmp_path: Path) -> None:
    path = deep_qdc(tmp_path)
    preview = import_codebook(project, path, None, levels_mode="auto")
    assert any("extended from 4 to 6 levels" in note for note in preview.plan.notes)
    with project.session() as s:
        assert len(levels(s)) == 6
    assert tree(project) == sorted(
        (name, 5 - depth, NAMES[depth - 1] if depth else None) for depth, name in enumerate(NAMES)
    )


def test_levels_map_places_deeper_codes_at_the_top_and_names_each(project: Project, tmp_path: Path) -> None:
    preview = import_codebook(project, deep_qdc(tmp_path), None, levels_mode="map")
    notes = preview.plan.notes
    assert "--levels map: 2 code(s) deeper than the ladder placed at its top level" in notes
    assert "--levels map: 'root' placed at level 3 (its depth gives level 5)" in notes
    assert "--levels map: 'theme' placed at level 3 (its depth gives level 4)" in notes
    got = dict((name, (level, parent)) for name, level, parent in tree(project))
    assert got["root"] == (3, None) and got["theme"] == (3, None) and got["topic"] == (3, None)
    assert got["sub"] == (2, "topic") and got["detail"] == (0, "facet")
    with project.session() as s:
        assert len(levels(s)) == 4


def test_cli_levels_option(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    path = deep_qdc(tmp_path)
    code, out, err = qc("import-codebook", str(path), "--apply", "--levels", "auto", "--db", db)
    assert code == 0, err
    assert "extended from 4 to 6 levels" in out
    code, _out, err = qc("import-codebook", str(path), "--levels", "deeper", "--db", db)
    assert code != 0 and "--levels takes auto" in err and err.count("\n") == 1
    with open_project(db) as project:
        assert len(tree(project)) == 6
