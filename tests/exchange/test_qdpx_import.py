"""Project import: the standard's example, other tools' habits, round trips, hostile files."""

from __future__ import annotations

from pathlib import Path

import pytest
from exchange_helpers import (
    C_DIET,
    C_MILK,
    EXAMPLES,
    FOREIGN_TEXT,
    SOURCE,
    foreign_qde,
    foreign_qdpx,
    make_zip,
    row_counts,
    snapshot,
)
from sqlalchemy import select

from qcoder.errors import QcoderError
from qcoder.exchange import package as package_module
from qcoder.exchange.qdpx_export import export_project
from qcoder.exchange.qdpx_import import ImportReport, import_project
from qcoder.store.database import Project
from qcoder.store.models import Code, Memo
from qcoder.store.settings import get_setting


def run_import(project: Project, path: Path, **kwargs: str) -> ImportReport:
    return project.run(lambda s: import_project(s, path, **kwargs))


def write(tmp_path: Path, data: bytes, name: str = "in.qdpx") -> Path:
    target = tmp_path / name
    target.write_bytes(data)
    return target


# -- the standard's example and other tools' files ------------------------------------


def test_atlas_example_project_imports_codes_users_and_notes(project: Project) -> None:
    """The example is a bare .qde: its six text sources point to files it does not contain."""
    report = run_import(project, EXAMPLES / "atlasti8_spec-example2_project.qde")
    snap = snapshot(project)
    assert report.documents_new == 0 and report.selections == 0
    assert sum(line.startswith("source '") and "is not in the file" in line for line in report.notes) == 6
    assert "not imported: 1 audio, 2 pdf, 1 picture, 2 video source(s); qcoder codes text only" in report.notes
    assert report.codes_new == len(snap["codes"]) == 14
    by_name = {c[1]: c for c in snap["codes"]}
    assert by_name["diet Coke"][3] == by_name["Coke"][0] == "7496ba52-9c8d-4396-8fab-cc438614e453"
    assert by_name["Coke"][2] == 1 and by_name["cornflakes"][4] == "breakfast cereal made by Kellogg’s"
    # both notes become project memos; the note's link to a video selection cannot be kept
    assert sorted((m[2], m[5]) for m in snap["memos"]) == [
        ("My favorite Coke ad", ("project",)),
        ("Research Plan", ("project",)),
    ]
    research = next(m for m in snap["memos"] if m[2] == "Research Plan")
    assert research[3].startswith("day to day log about this amazing project\n\nThis is a great project")
    assert snap["coders"] == ["Friedrich Markgraf"]  # the one user who wrote something
    assert any("link(s) not imported" in line for line in report.notes)


def test_foreign_package_variants_import_with_offsets_kept(project: Project, tmp_path: Path) -> None:
    """Inner file not named project.qde, a `Sources` folder, a BOM, CR-LF, no internal:// prefix,
    namespace spelled 1:0, flat code names, GUIDs in braces."""
    report = run_import(project, write(tmp_path, foreign_qdpx()))
    snap = snapshot(project)
    [document] = snap["documents"]
    assert document[3] == FOREIGN_TEXT.replace("\r\n", "\n")  # stored with LF; nothing else cleaned
    assert document[4] == FOREIGN_TEXT  # the text as the other tool wrote it, kept
    statements = [s[6] for s in snap["statements"]]
    assert statements == [
        "Breakfast notes",
        "I like Coke.",
        "Diet Coke is better.",
        "It has no sugar.",
        "Milk is fine.",
    ]
    assert snap["codings"] == [
        ("D01-S003", (C_MILK.lower(), "milk", 0), "Ben"),  # partial selection → both statements it touches
        ("D01-S003", (C_DIET.lower(), "diet Coke", 0), "Ana"),
        ("D01-S004", (C_MILK.lower(), "milk", 0), "Ben"),
        ("D01-S005", (C_MILK.lower(), "milk", 0), "imported"),  # no creatingUser → the fallback coder
    ]
    assert report.selections == 3 and report.selections_partial == 1 and report.codings == 4
    assert {(m[2], m[3], m[5]) for m in snap["memos"]} == {
        ("On milk", "Milk comes up often.", ("sentence", "D01-S005")),
        ("comment", "why milk?", ("sentence", "D01-S005")),
    }
    assert snap["relations"] == [
        ("7b56978e-9d9f-4d47-b4ec-436e2f6b8be5", C_MILK.lower(), C_DIET.lower(), "is cause of", "", None)
    ]
    with project.session() as s:
        assert "is cause of" in get_setting(s, "relation_types")
    assert (
        "1 selection(s) cover only part of a statement; kept as quote spans (the statement is the unit for counts)"
        in report.lines()
    )


def test_offsets_counted_without_carriage_returns_are_recognised(project: Project, tmp_path: Path) -> None:
    lf_text = FOREIGN_TEXT.replace("\r\n", "\n")
    qde = foreign_qde(lf_text)  # offsets computed on the LF text, file written with CR-LF
    report = run_import(project, write(tmp_path, foreign_qdpx(qde, text=FOREIGN_TEXT)))
    assert any("its offsets do not count the CRs" in line for line in report.notes)
    assert ("D01-S003", (C_DIET.lower(), "diet Coke", 0), "Ana") in snapshot(project)["codings"]


def test_bare_qde_reads_texts_from_a_sources_folder_beside_it(project: Project, tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "breakfast.txt").write_bytes(FOREIGN_TEXT.encode())
    qde = write(tmp_path, foreign_qde(path="internal://breakfast.txt").encode(), "study.qde")
    report = run_import(project, qde)
    assert report.documents_new == 1 and report.codings == 4


def test_codes_already_in_the_project_are_reused_by_name_and_level(project: Project, tmp_path: Path) -> None:
    from qcoder.coding.codes import create_code

    project.run(lambda s: create_code(s, "Coke", level=1, definition="ours"))  # same name, another GUID
    report = run_import(project, write(tmp_path, foreign_qdpx()))
    codes = {c[1]: c for c in snapshot(project)["codes"]}
    assert report.codes_new == 2 and report.codes_matched == 1
    assert codes["diet Coke"][3] == codes["Coke"][0] != "7496ba52-9c8d-4396-8fab-cc438614e453"
    assert codes["Coke"][4] == "ours"


def test_importing_the_same_package_twice_adds_nothing(project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, foreign_qdpx())
    run_import(project, path)
    before = row_counts(project)
    report = run_import(project, path)
    assert row_counts(project) == before
    assert report.documents_existing == 1 and report.codes_matched == 3 and report.codings == 0


# -- round trip -----------------------------------------------------------------------


def test_round_trip_into_an_empty_project(rich_project: Project, second_project: Project, tmp_path: Path) -> None:
    with rich_project.session() as s:
        path = write(tmp_path, export_project(s, name="rich"))
    report = run_import(second_project, path)
    assert report.documents_new == 2 and report.selections_partial == 0 and report.selections_unplaced == 0
    assert snapshot(second_project) == snapshot(rich_project)
    with second_project.session() as s:
        roles = dict(s.execute(select(Code.name, Code.level)).all())
    assert roles["创新联合体赋能新质生产力"] == 3


def test_round_trip_through_a_tool_that_drops_qcoder_side_files(
    rich_project: Project, second_project: Project, tmp_path: Path
) -> None:
    """Another tool re-exports the package without the qcoder/ folder: texts are re-split."""
    import io
    import zipfile

    with rich_project.session() as s:
        original = zipfile.ZipFile(io.BytesIO(export_project(s, name="rich")))
    stripped = make_zip({n: original.read(n) for n in original.namelist() if not n.startswith("qcoder/")})
    run_import(second_project, write(tmp_path, stripped))
    mine, theirs = snapshot(rich_project), snapshot(second_project)
    assert [s[6] for s in theirs["statements"]] == [s[6] for s in mine["statements"]]
    assert theirs["codes"] == mine["codes"] and theirs["codings"] == mine["codings"]
    # a relation's coder travels with its note; the one without a note loses it
    assert theirs["relations"] == [(*r[:5], r[5] if r[4] else None) for r in mine["relations"]]
    # titles of untitled memos are made up, and documents get new digests (the text file is the original now)
    assert [(*m[:2], *m[3:5], m[5][0]) for m in theirs["memos"]] == [(*m[:2], *m[3:5], m[5][0]) for m in mine["memos"]]


# -- hostile and broken input: refused, nothing changed ---------------------------------


def refused(project: Project, path: Path, message: str) -> None:
    before = row_counts(project)
    with pytest.raises(QcoderError, match=message):
        run_import(project, path)
    assert row_counts(project) == before


def test_zip_slip_entry_is_refused(rich_project: Project, tmp_path: Path) -> None:
    path = write(tmp_path, foreign_qdpx(extra={"../../evil": b"owned"}))
    refused(rich_project, path, r"entry '\.\./\.\./evil' would be written outside the project folder \(zip slip\)")
    assert not (tmp_path.parent / "evil").exists() and not (tmp_path / "evil").exists()


def test_absolute_member_name_is_refused(rich_project: Project, tmp_path: Path) -> None:
    refused(rich_project, write(tmp_path, foreign_qdpx(extra={"/etc/cron.d/x": b"x"})), "zip slip")


def test_huge_member_is_refused(rich_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_module, "MAX_MEMBER_BYTES", 1_000_000)
    bomb = ("x" * 3_000_000).encode()  # deflates to a few kB
    path = write(tmp_path, foreign_qdpx(extra={"Sources/breakfast.txt": bomb}))
    refused(rich_project, path, r"entry 'Sources/breakfast\.txt' unpacks to more than 1 MB.*zip bomb")


def test_xxe_inside_a_package_is_refused(rich_project: Project, tmp_path: Path) -> None:
    qde = foreign_qde().replace(
        "<Project ", '<!DOCTYPE Project [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<Project ', 1
    )
    refused(rich_project, write(tmp_path, foreign_qdpx(qde)), "entity")


def test_wrong_namespace_is_refused(rich_project: Project, tmp_path: Path) -> None:
    qde = foreign_qde(namespace="http://www.example.com/not-refi")
    refused(rich_project, write(tmp_path, foreign_qdpx(qde)), "namespace 'http://www.example.com/not-refi'")


def test_dangling_code_ref_is_refused(rich_project: Project, tmp_path: Path) -> None:
    qde = foreign_qde(code_ref="00000000-0000-0000-0000-000000000001")
    refused(
        rich_project,
        write(tmp_path, foreign_qdpx(qde)),
        r"line \d+: CodeRef points to code 00000000-0000-0000-0000-000000000001, which the file does not define",
    )


def test_dangling_note_ref_is_refused(rich_project: Project, tmp_path: Path) -> None:
    qde = foreign_qde().replace('<NoteRef targetGUID="CE15250D', '<NoteRef targetGUID="DE15250D')
    refused(rich_project, write(tmp_path, foreign_qdpx(qde)), "NoteRef points to note de15250d")


def test_offsets_past_the_end_of_the_text_are_refused(rich_project: Project, tmp_path: Path) -> None:
    end = len(FOREIGN_TEXT)
    extra = (
        f'\n      <PlainTextSelection guid="63E009F1-5C33-4568-B65D-53A7E28BDBC1" name="beyond" '
        f'startPosition="{end - 2}" endPosition="{end + 5}"/>'
    )
    qde = foreign_qde(extra_selection=extra)
    refused(
        rich_project,
        write(tmp_path, foreign_qdpx(qde)),
        rf"selection 'beyond' ends at {end + 5}, past the end of source 'Breakfast\.txt' \({end} characters\)",
    )


def test_not_a_zip_and_no_project_file_are_refused(rich_project: Project, tmp_path: Path) -> None:
    refused(rich_project, write(tmp_path, b"plain text, not a zip"), "is not a zip archive")
    refused(rich_project, write(tmp_path, make_zip({"sources/a.txt": b"x"})), "holds no .qde project file")


def test_broken_guid_names_its_line(rich_project: Project, tmp_path: Path) -> None:
    qde = foreign_qde().replace(f'guid="{SOURCE}"', 'guid="not-a-guid"')
    refused(
        rich_project,
        write(tmp_path, foreign_qdpx(qde)),
        r"line \d+, TextSource attribute 'guid': 'not-a-guid' is not a GUID",
    )


def test_a_refused_import_leaves_even_codes_untouched(project: Project, tmp_path: Path) -> None:
    """Codes are read before sources; a bad selection later in the file still changes nothing."""
    extra = (
        '\n      <PlainTextSelection guid="63E009F1-5C33-4568-B65D-53A7E28BDBC1" startPosition="9" endPosition="2"/>'
    )
    refused(project, write(tmp_path, foreign_qdpx(foreign_qde(extra_selection=extra))), "runs from 9 to 2")
    with project.session() as s:
        assert s.scalar(select(Code.id)) is None and s.scalar(select(Memo.id)) is None
