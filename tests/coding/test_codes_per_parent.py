"""Code names are unique per parent (issue #15): one name may recur under different parents,
and wherever a code is named, a bare name that several codes share is refused with their paths."""

from __future__ import annotations

import threading

import pytest
from factories import add_document, qc, wait_until_blocked_on_a_lock
from sqlalchemy import func, select, text

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import code_paths, ensure_code, find_code
from qcoder.coding.workbench import Workbench
from qcoder.errors import Conflict, QcoderError
from qcoder.store import schema
from qcoder.store.database import Project, make_engine, open_project
from qcoder.store.models import Code, Coding

STATEMENTS = ["老师喜欢它。", "学生更喜欢它。", "家长不在乎。", "校长也喜欢。"]


@pytest.fixture
def tree(project: Project) -> tuple[Workbench, dict[str, int]]:
    """teachers/fun and students/fun (concepts under two categories), plus a top concept fun."""
    add_document(project, STATEMENTS)
    bench = Workbench(project, "alice")
    ids = {"teachers": bench.create_code("teachers", 1).id, "students": bench.create_code("students", 1).id}
    ids["teachers/fun"] = bench.create_code("fun", 0, parent_id=ids["teachers"]).id
    ids["students/fun"] = bench.create_code("fun", 0, parent_id=ids["students"]).id
    return bench, ids


def _codes(project: Project) -> dict[str, int]:
    with project.session() as s:
        return {path: cid for cid, path in code_paths(s).items()}


def test_one_name_under_two_parents_and_not_twice_under_one(tree, project: Project) -> None:  # type: ignore[no-untyped-def]
    bench, ids = tree
    with pytest.raises(Conflict, match="'fun' already exists under 'teachers'"):
        bench.create_code("fun", 0, parent_id=ids["teachers"])
    bench.create_code("fun", 0)  # a top code of that name: a third place
    with pytest.raises(Conflict, match="already exists at the top"):
        bench.create_code("fun", 0)  # top codes stay unique by name at their level
    assert bench.create_code("fun", 1).level == 1
    with project.session() as s:
        assert s.scalar(select(func.count()).select_from(Code).where(Code.name == "fun")) == 4


def test_a_bare_ambiguous_name_is_refused_naming_the_paths(tree, project: Project) -> None:  # type: ignore[no-untyped-def]
    _bench, ids = tree
    with project.session() as s:
        with pytest.raises(QcoderError) as refused:
            find_code(s, "fun")
        message = str(refused.value)
        assert "'students/fun'" in message and "'teachers/fun'" in message and "\n" not in message
        assert find_code(s, "teachers/fun").id == ids["teachers/fun"]
        assert find_code(s, "students / fun").id == ids["students/fun"]
        assert find_code(s, "teachers").id == ids["teachers"]  # an unshared name needs no path


def test_rename_and_move_check_the_names_under_the_parent(tree, project: Project) -> None:  # type: ignore[no-untyped-def]
    bench, ids = tree
    other = bench.create_code("play", 0, parent_id=ids["teachers"])
    with pytest.raises(Conflict, match="already exists under 'teachers'"):
        bench.rename_code(other.id, "fun")
    bench.move_code(other.id, ids["students"])  # no "play" there
    with pytest.raises(Conflict, match="already exists under 'students'"):
        bench.move_code(ids["teachers/fun"], ids["students"])
    bench.rename_code(other.id, "games")
    assert set(_codes(project)) == {"teachers", "students", "teachers/fun", "students/fun", "students/games"}


def test_merge_and_delete_refuse_to_put_two_same_names_under_one_parent(tree, project: Project) -> None:  # type: ignore[no-untyped-def]
    bench, ids = tree
    bench.code_statements([1], ids["teachers/fun"])
    before = _codes(project)
    with pytest.raises(Conflict, match="two codes named 'fun' under 'students'"):
        bench.merge_codes(ids["teachers"], ids["students"])
    bench.create_code("fun", 0)  # a top concept: deleting a category would lift its fun beside it
    with pytest.raises(Conflict, match="two codes named 'fun' at the top"):
        bench.delete_code(ids["teachers"])
    assert {k: v for k, v in _codes(project).items() if k != "fun"} == before
    # once the names differ, the merge goes through and its codings follow
    bench.rename_code(ids["teachers/fun"], "fun for teachers")
    bench.merge_codes(ids["teachers"], ids["students"])
    assert set(_codes(project)) == {"fun", "students", "students/fun", "students/fun for teachers"}
    bench.undo()
    assert "teachers/fun for teachers" in _codes(project)


def test_the_command_line_takes_a_path(tree, project: Project) -> None:  # type: ignore[no-untyped-def]
    _bench, ids = tree
    db = str(project.url)
    code, _out, err = qc("code", "D01-S002", "--code", "fun", "--coder", "bo", "--db", db)
    assert code == 1 and "ambiguous" in err and "'students/fun'" in err and len(err.strip().splitlines()) == 1
    code, _out, err = qc("code", "D01-S002", "--code", "students/fun", "--coder", "bo", "--db", db)
    assert code == 0, err
    code, _out, err = qc("codebook", "rename", "teachers/fun", "乐趣", "--coder", "bo", "--db", db)
    assert code == 0, err
    code, _out, err = qc("codebook", "move", "students/fun", "--parent", "teachers", "--coder", "bo", "--db", db)
    assert code == 0, err
    code, _out, err = qc("codebook", "rename", "teachers/fun", "乐趣", "--coder", "bo", "--db", db)
    assert code == 1 and "already exists under 'teachers'" in err
    # a new code under an existing parent, by path
    code, _out, err = qc("code", "D01-S003", "--code", "students/冷漠", "--coder", "bo", "--db", db)
    assert code == 0, err
    with project.session() as s:
        coded = {
            path: n
            for path, n in (
                (code_paths(s)[cid], n)
                for cid, n in s.execute(select(Coding.code_id, func.count()).group_by(Coding.code_id))
            )
        }
    assert coded == {"teachers/fun": 1, "students/冷漠": 1}
    assert ids["students/fun"] == _codes(project)["teachers/fun"]


@pytest.mark.parametrize("name", ["students/新概念", "新概念"])
def test_two_writers_creating_one_name_under_one_parent_get_one_code(db_url: str, name: str) -> None:
    """The first writer has inserted the code but not committed when the second looks, finds
    nothing and inserts too: the unique index makes the second take the first one's code."""
    with open_project(db_url) as project:
        project.run(lambda s: ensure_code(s, "students", 1))
        outcome: dict[str, object] = {}

        def second() -> None:
            try:
                outcome["code"] = project.run(lambda s: ensure_code(s, name, 0, get_or_create_coder(s, "bo"))[0].id)
            except Exception as error:
                outcome["error"] = error

        with project.transaction() as first:
            code, created = ensure_code(first, name, 0, get_or_create_coder(first, "ana"))
            first.flush()
            racer = threading.Thread(target=second)
            racer.start()
            wait_until_blocked_on_a_lock(project)
        racer.join(timeout=60)
        assert created
        assert "error" not in outcome, f"the second writer got: {outcome.get('error')}"
        assert outcome["code"] == code.id
        with project.session() as s:
            assert s.scalar(select(func.count()).select_from(Code).where(Code.name == "新概念")) == 1


def _insert_code(conn, cid: int, name: str, level: int, parent: int | None) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO codes (id, guid, name, level, parent_id, definition, created_at, updated_at, version)"
            " VALUES (:id, :guid, :name, :level, :parent, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
        ),
        {"id": cid, "guid": f"g{cid}", "name": name, "level": level, "parent": parent},
    )


def test_upgrade_keeps_codes_and_downgrade_refuses_while_names_repeat(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        schema.upgrade(engine, "0007_team_roles")
        with engine.begin() as conn:
            _insert_code(conn, 1, "teachers", 1, None)
            _insert_code(conn, 2, "students", 1, None)
            _insert_code(conn, 3, "fun", 0, 1)
        schema.upgrade(engine, "0008_codes_unique_per_parent")
        with engine.begin() as conn:
            _insert_code(conn, 4, "fun", 0, 2)  # now allowed: another parent
        for cid, name, level, parent in [(5, "fun", 0, 1), (6, "students", 1, None)]:
            with pytest.raises(Exception, match=r"(?i)unique"), engine.begin() as conn:
                _insert_code(conn, cid, name, level, parent)  # same parent; same top name and level
        with pytest.raises(QcoderError) as refused:
            schema.downgrade(engine, "0007_team_roles")
        assert "'fun' (level 0, 2 codes)" in str(refused.value) and "\n" not in str(refused.value)
        assert schema.current_revision(engine) == "0008_codes_unique_per_parent"
        with engine.begin() as conn:
            conn.execute(text("UPDATE codes SET name = 'play' WHERE id = 4"))
        schema.downgrade(engine, "0007_team_roles")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM codes")).scalar() == 4
        with pytest.raises(Exception, match=r"(?i)unique"), engine.begin() as conn:
            _insert_code(conn, 7, "play", 0, 1)  # the old rule is back: one name per level
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()


def test_a_coding_bundle_keeps_same_name_codes_apart(tree, project: Project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qcoder.exchange.bundle import apply_bundle, dump_bundle

    bench, ids = tree
    bench.code_statements([1], ids["teachers/fun"])
    bench.code_statements([2], ids["students/fun"])
    bench.add_relation(ids["teachers/fun"], ids["students/fun"], "causal", "")
    data = dump_bundle(project)
    assert {c["code"] for c in data["codings"]} == {"teachers/fun", "students/fun"}
    assert {c.get("path") for c in data["codes"] if c["name"] == "fun"} == {"teachers/fun", "students/fun"}
    with open_project(str(tmp_path / "copy.qcoder")) as other:
        add_document(other, STATEMENTS)
        result = other.run(lambda s: apply_bundle(s, data))
        assert result.codes_created == 4 and result.codings_added == 2
        assert dump_bundle(other) == data
        assert not other.run(lambda s: apply_bundle(s, data)).changed  # twice adds nothing
        with other.session() as s:
            paths = code_paths(s)
            coded = {(paths[cid], sid) for cid, sid in s.execute(select(Coding.code_id, Coding.sentence_id))}
        assert coded == {("teachers/fun", 1), ("students/fun", 2)}


def test_flat_reports_show_the_path_where_names_repeat(tree, project: Project) -> None:  # type: ignore[no-untyped-def]
    from qcoder.analysis.frequencies import code_frequencies
    from qcoder.analysis.tables import relation_table

    bench, ids = tree
    bench.code_statements([1, 2], ids["teachers/fun"])
    bench.code_statements([3], ids["students/fun"])
    bench.add_relation(ids["teachers/fun"], ids["students"], "causal", "")
    with project.session() as s:
        counts = {f.name: f.statements for f in code_frequencies(s, level=0)}
        relations = [row[0] for row in relation_table(s).rows]
    assert counts == {"teachers/fun": 2, "students/fun": 1}
    assert relations == ["teachers/fun → students"]  # an unshared name stays plain


@pytest.mark.parametrize("suffix", [".csv", ".json", ".qdc"])
def test_a_codebook_file_keeps_same_name_codes_apart(tree, project: Project, tmp_path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    from qcoder.exchange.codebook import apply_plan, export_codebook, plan_codebook_import, read_codebook

    _bench, _ids = tree
    book = tmp_path / f"book{suffix}"
    with project.session() as s:
        book.write_bytes(export_codebook(s, suffix))
    parsed = read_codebook(book)
    again = project.run(lambda s: plan_codebook_import(s, parsed))
    assert again.count("same") == 4 and again.count("conflicting") == 0  # each fun is itself
    with open_project(str(tmp_path / "fresh.qcoder")) as fresh:
        plan = fresh.run(lambda s: plan_codebook_import(s, parsed))
        assert plan.count("new") == 4 and plan.count("conflicting") == 0
        fresh.run(lambda s: apply_plan(s, plan))
        assert set(_codes(fresh)) == set(_codes(project))
        # a file naming a parent by a bare shared name is refused with the paths; a path finds it
        extra = tmp_path / "extra.json"
        extra.write_text('[{"name": "骑车", "level": 0, "parent": "fun"}]', encoding="utf-8")
        with pytest.raises(QcoderError, match="'students/fun', 'teachers/fun'"):
            fresh.run(lambda s: plan_codebook_import(s, read_codebook(extra)))
        extra.write_text('[{"name": "骑车", "level": 0, "parent": "teachers::fun"}]', encoding="utf-8")
        item = fresh.run(lambda s: plan_codebook_import(s, read_codebook(extra))).items[0]
        assert (item.kind, item.reason) == ("conflicting", "its parent 'fun' is at level 0, not above 0")


def test_two_renames_to_one_name_under_one_parent_leave_one(db_url: str) -> None:
    """Two coders rename two siblings to the same name at once: one wins, the other gets one line."""
    from qcoder.coding.codes import create_code, rename_code

    with open_project(db_url) as project:

        def setup(s):  # type: ignore[no-untyped-def]
            parent = create_code(s, "students", level=1)
            return [create_code(s, name, level=0, parent=parent).id for name in ("a", "b")]

        first_id, second_id = project.run(setup)
        outcome: dict[str, object] = {}

        def second() -> None:
            try:
                project.run(lambda s: rename_code(s, s.get_one(Code, second_id), "乐趣"))
            except Exception as error:
                outcome["error"] = error

        with project.transaction() as first:
            rename_code(first, first.get_one(Code, first_id), "乐趣")
            racer = threading.Thread(target=second)
            racer.start()
            wait_until_blocked_on_a_lock(project)
        racer.join(timeout=60)
        error = outcome.get("error")
        assert isinstance(error, Conflict) and "\n" not in str(error), error
        with project.session() as s:
            assert sorted(s.scalars(select(Code.name).where(Code.level == 0))) == ["b", "乐趣"]
