"""Codes of one name under different parents (qc's demo has eight) stay separate codes on import."""

from __future__ import annotations

from pathlib import Path

from exchange_helpers import make_zip
from sqlalchemy import select

from qcoder.coding.codes import code_paths
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import import_project
from qcoder.store.database import Project
from qcoder.store.models import Code, Coding, Sentence

TEXT = "Teachers like it.\nStudents like it more.\nParents do not care.\n"
USER = "0B1E5F0C-1D1A-4C55-9F6E-7A2D7C1E0101"
PARENTS = {"teachers": "6A0C7E10-2B3C-4D5E-8F90-000000000001", "students": "6A0C7E10-2B3C-4D5E-8F90-000000000002"}
CHILDREN = {"teachers": "6A0C7E10-2B3C-4D5E-8F90-000000000011", "students": "6A0C7E10-2B3C-4D5E-8F90-000000000012"}
TOP_FUN = "6A0C7E10-2B3C-4D5E-8F90-000000000021"
# (passage, code GUID): each "fun" codes its own passage
SELECTIONS = [
    ("Teachers like it.", CHILDREN["teachers"]),
    ("Students like it more.", CHILDREN["students"]),
    ("Parents do not care.", TOP_FUN),
]


def _qdpx() -> bytes:
    def selection(n: int, piece: str, code: str) -> str:
        start = TEXT.index(piece)
        return (
            f'<PlainTextSelection guid="7B0C7E10-2B3C-4D5E-8F90-0000000000{n:02d}" name="{piece}" '
            f'startPosition="{start}" endPosition="{start + len(piece)}">'
            f'<Coding guid="7C0C7E10-2B3C-4D5E-8F90-0000000000{n:02d}" creatingUser="{USER}">'
            f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
        )

    codes = "".join(
        f'<Code guid="{PARENTS[p]}" name="{p}" isCodable="true">'
        f'<Code guid="{CHILDREN[p]}" name="fun" isCodable="true"/></Code>'
        for p in PARENTS
    )
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1:0" name="fun" origin="OtherTool 1.0">
  <Users><User guid="{USER}" name="Ana"/></Users>
  <CodeBook><Codes>{codes}<Code guid="{TOP_FUN}" name="fun" isCodable="true"/></Codes></CodeBook>
  <Sources><TextSource guid="8D0C7E10-2B3C-4D5E-8F90-000000000001" name="t.txt" plainTextPath="t.txt">
    {"".join(selection(n, piece, code) for n, (piece, code) in enumerate(SELECTIONS, start=1))}
  </TextSource></Sources>
</Project>"""
    return make_zip({"project.qde": qde.encode(), "sources/t.txt": TEXT.encode()})


def _coded(project: Project) -> dict[str, set[str]]:
    """Each code's path → the statements coded with it."""
    with project.session() as s:
        paths = code_paths(s)
        out: dict[str, set[str]] = {}
        for code_id, text in s.execute(select(Coding.code_id, Sentence.text).join(Sentence)):
            out.setdefault(paths[code_id], set()).add(text)
        return out


def test_same_name_codes_keep_their_own_codings(project: Project, second_project: Project, tmp_path: Path) -> None:
    source = tmp_path / "fun.qdpx"
    source.write_bytes(_qdpx())
    report = project.run(lambda s: import_project(s, source))
    assert report.codes_new == 5 and report.codes_matched == 0
    assert not [line for line in report.lines() if "same name" in line]
    with project.session() as s:
        assert sorted(code_paths(s).values()) == ["fun", "students", "students/fun", "teachers", "teachers/fun"]
        assert len(list(s.scalars(select(Code).where(Code.name == "fun")))) == 3
    expected = {
        "teachers/fun": {"Teachers like it."},
        "students/fun": {"Students like it more."},
        "fun": {"Parents do not care."},
    }
    assert _coded(project) == expected

    # and back out and in again: still three codes called "fun", each with its own statement
    again = tmp_path / "again.qdpx"
    with project.session() as s:
        again.write_bytes(export_project(s, name="fun"))
    second_project.run(lambda s: import_project(s, again))
    assert _coded(second_project) == expected


def test_importing_twice_matches_each_same_name_code_to_itself(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "fun.qdpx"
    source.write_bytes(_qdpx())
    project.run(lambda s: import_project(s, source))
    report = project.run(lambda s: import_project(s, source))
    assert report.codes_new == 0 and report.codes_matched == 5 and report.codings == 0
    assert len(_coded(project)) == 3


def test_merging_a_copy_matches_same_name_codes_by_parent(project: Project, second_project: Project) -> None:
    """Both copies add a "fun": ours under teachers, theirs under teachers and under students.
    Theirs under teachers is ours; theirs under students is new; each coding stays with its own."""
    from factories import add_document

    from qcoder.coding.coders import get_or_create_coder
    from qcoder.coding.codes import create_code, find_code
    from qcoder.coding.codings import add_codings
    from qcoder.exchange.merge import apply_merge, plan_merge

    add_document(project, ["Teachers like it.", "Students like it more."])

    def categories(s) -> None:  # type: ignore[no-untyped-def]
        create_code(s, "teachers", level=1)
        create_code(s, "students", level=1)

    project.run(categories)
    apply_merge(second_project, project)  # the colleague's copy: same documents, same two categories
    project.run(lambda s: create_code(s, "fun", level=0, parent=find_code(s, "teachers")))

    def colleague(s) -> None:  # type: ignore[no-untyped-def]
        bob = get_or_create_coder(s, "bob")
        sentences = sorted(s.scalars(select(Sentence)), key=lambda x: x.ordinal)
        for parent, sentence in (("teachers", sentences[0]), ("students", sentences[1])):
            code = create_code(s, "fun", level=0, parent=find_code(s, parent), coder=bob)
            add_codings(s, [sentence.id], code.id, bob.id)

    second_project.run(colleague)
    plan = plan_merge(project, second_project)
    assert plan.codes_new == ["fun [level 0]"] and not plan.conflicts
    apply_merge(project, second_project)
    assert _coded(project) == {"teachers/fun": {"Teachers like it."}, "students/fun": {"Students like it more."}}
