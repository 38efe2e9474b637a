"""Codebook export in five formats, and the two-phase import (plan, then apply)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from exchange_helpers import EXAMPLES, assert_valid, row_counts, snapshot
from openpyxl import load_workbook
from sqlalchemy import select

from qcoder.coding.codes import create_code, find_code, rename_code, update_code
from qcoder.errors import Conflict, QcoderError
from qcoder.exchange.codebook import (
    CodebookPlan,
    apply_plan,
    export_codebook,
    parse_csv,
    parse_json,
    parse_qdc,
    plan_codebook_import,
    read_codebook,
)
from qcoder.store.database import Project
from qcoder.store.models import Code
from qcoder.store.settings import levels


def plan_for(project: Project, parsed) -> CodebookPlan:  # type: ignore[no-untyped-def]
    with project.session() as s:
        return plan_codebook_import(s, parsed)


def kinds(plan: CodebookPlan) -> dict[str, str]:
    return {item.entry.name: item.kind for item in plan.items}


def codes_of(project: Project) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(name, level) → (guid, parent name)."""
    with project.session() as s:
        return {(c.name, c.level): (c.guid, c.parent.name if c.parent else None) for c in s.scalars(select(Code))}


# -- export ---------------------------------------------------------------------------


def test_qdc_export_is_schema_valid_nested_with_one_set_per_level(rich_project: Project) -> None:
    with rich_project.session() as s:
        data = export_codebook(s, ".qdc")
    assert_valid(data, "Codebook.xsd")
    parsed = parse_qdc(data, source="out.qdc")
    by_name = {(e.name, e.level): e for e in parsed.entries}
    assert len(parsed.entries) == 6 and parsed.notes == []
    concept = by_name[("主体地位", 0)]
    initial = by_name[("企业主体", 1)]
    assert concept.parent_key == initial.guid and concept.definition == "企业的主体作用"
    assert by_name[("创新联合体赋能新质生产力", 3)].colour == "#AA0000"
    assert data.count(b"<Set ") == 4  # levels 0-3 are all in use
    with rich_project.session() as s:
        assert data == export_codebook(s, ".qdc")  # stable: same project, same bytes


def test_empty_codebook_cannot_be_a_valid_qdc(project: Project) -> None:
    with project.session() as s, pytest.raises(QcoderError, match="at least one code"):
        export_codebook(s, ".qdc")


def test_table_and_text_exports_carry_level_parent_guid_colour(rich_project: Project) -> None:
    with rich_project.session() as s:
        rows = list(csv.DictReader(io.StringIO(export_codebook(s, ".csv").decode("utf-8-sig"))))
        document = json.loads(export_codebook(s, ".json"))
        markdown = export_codebook(s, ".md").decode()
        sheet = load_workbook(io.BytesIO(export_codebook(s, ".xlsx"))).active
        guid = find_code(s, "主体地位", 0).guid
    concept = next(r for r in rows if r["name"] == "主体地位")
    assert concept == {
        "name": "主体地位",
        "path": "创新联合体赋能新质生产力::创新环境::企业主体::主体地位",
        "level": "0",
        "level_name": "概念",
        "parent": "企业主体",
        "parent_guid": concept["parent_guid"],
        "guid": guid,
        "description": "企业的主体作用",
        "colour": "",
    }
    assert [r["name"] for r in rows][:4] == ["创新联合体赋能新质生产力", "创新环境", "企业主体", "主体地位"]
    assert [c["name"] for c in document["codes"]] == [r["name"] for r in rows]
    assert [lv["key"] for lv in document["levels"]] == ["concept", "initial_category", "main_category", "core_category"]
    assert "      - **主体地位** · 概念 (concept)" in markdown and "        企业的主体作用" in markdown
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("name", "path", "level") and len(values) == 7
    assert ("主体地位", 0, guid) in {(v[0], v[2], v[6]) for v in values[1:]}


def test_unknown_export_suffix_is_refused(rich_project: Project) -> None:
    with rich_project.session() as s, pytest.raises(QcoderError, match=r"'\.pdf'.*\.qdc"):
        export_codebook(s, ".pdf")


@pytest.mark.parametrize("suffix", [".qdc", ".csv", ".json"])
def test_round_trip_into_an_empty_project(
    rich_project: Project, second_project: Project, suffix: str, tmp_path: Path
) -> None:
    with rich_project.session() as s:
        (tmp_path / f"book{suffix}").write_bytes(export_codebook(s, suffix))
    parsed = read_codebook(tmp_path / f"book{suffix}")
    second_project.run(lambda s: apply_plan(s, plan_codebook_import(s, parsed)))
    assert snapshot(second_project)["codes"] == snapshot(rich_project)["codes"]
    again = plan_for(second_project, parsed)
    assert {item.kind for item in again.items} == {"same"}


# -- import of other tools' files -----------------------------------------------------


def test_atlas_codebook_example_imports_one_code(project: Project) -> None:
    parsed = read_codebook(EXAMPLES / "atlasti23_codebook.qdc")
    assert [(e.guid, e.name, e.definition, e.colour) for e in parsed.entries] == [
        ("1ff58b12-6f6f-4b0c-8be5-bbdc91f55294", "code1", "description", "#46AA00")
    ]
    assert parsed.notes == ["1 code group(s) (Sets) kept out: 'code group 1'; qcoder has no code groups"]
    done = project.run(lambda s: apply_plan(s, plan_codebook_import(s, parsed)))
    assert done["new"] == 1 and codes_of(project) == {("code1", 0): ("1ff58b12-6f6f-4b0c-8be5-bbdc91f55294", None)}


def test_project_example_codebook_turns_flat_names_into_a_hierarchy(project: Project) -> None:
    parsed = read_codebook(EXAMPLES / "atlasti8_spec-example2_project.qde")
    assert len(parsed.entries) == 14  # 14 codes; "Coke" is one of them, so nothing is implied
    assert not any(e.implied for e in parsed.entries)
    plan = plan_for(project, parsed)
    assert plan.count("new") == 14
    project.run(lambda s: apply_plan(s, plan))
    codes = codes_of(project)
    assert codes[("diet Coke", 0)] == ("d299efae-5779-46dc-9827-a3d1a5d544bc", "Coke")
    assert codes[("full-fat Coke", 0)][1] == "Coke"
    assert codes[("Coke", 1)] == ("7496ba52-9c8d-4396-8fab-cc438614e453", None)  # a parent is one level up
    assert sum(1 for (_, level) in codes if level == 0) == 13


def test_flat_name_without_its_parent_invents_the_parent() -> None:
    data = (
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        b'<Code guid="{0983E32E-6866-431A-BD94-DAC9BB963825}" name="Drinks::Coke::diet" isCodable="true"/>'
        b"</Codes></CodeBook>"
    )
    entries = parse_qdc(data, source="flat.qdc").entries
    assert [(e.name, e.implied) for e in entries] == [("Drinks", True), ("Coke", True), ("diet", False)]
    assert entries[2].guid == "0983e32e-6866-431a-bd94-dac9bb963825"  # braces and case normalized
    assert entries[2].parent_key == entries[1].key and entries[1].parent_key == entries[0].key


def test_taguette_style_csv_without_guids_matches_by_name(project: Project) -> None:
    project.run(lambda s: create_code(s, "milk", level=0, definition=""))
    data = b"tag,description\nmilk,dairy\nsugar,\n"
    plan = plan_for(project, parse_csv(data, source="tags.csv"))
    assert kinds(plan) == {"milk": "updated", "sugar": "new"}
    assert plan.items[0].changes == {"definition": ("", "dairy")}
    project.run(lambda s: apply_plan(s, plan))
    assert set(codes_of(project)) == {("milk", 0), ("sugar", 0)}
    assert kinds(plan_for(project, parse_csv(data, source="tags.csv"))) == {"milk": "same", "sugar": "same"}


def test_csv_and_json_errors_name_row_and_field(project: Project) -> None:
    with pytest.raises(QcoderError, match=r"book\.csv row 3, field 'guid': 'nope' is not a GUID"):
        parse_csv(b"name,guid\na,\nb,nope\n", source="book.csv")
    with pytest.raises(QcoderError, match=r"book\.csv row 2, field 'name': empty"):
        parse_csv(b"name,description\n,orphan definition\n", source="book.csv")
    with pytest.raises(QcoderError, match=r"book\.csv row 1: no 'name'"):
        parse_csv(b"label,description\nx,y\n", source="book.csv")
    with pytest.raises(QcoderError, match=r"book\.csv row 2, field 'colour': colour 'red' is not #RRGGBB"):
        parse_csv(b"name,colour\nx,red\n", source="book.csv")
    parsed = parse_json(json.dumps({"codes": [{"name": "a", "level": "层级九"}]}).encode(), source="book.json")
    with pytest.raises(QcoderError, match=r"book\.json codes\[0\], field 'level': unknown level '层级九'"):
        plan_for(project, parsed)
    with pytest.raises(QcoderError, match=r"codes\[1\]: expected an object"):
        parse_json(b'[{"name": "a"}, 3]', source="book.json")
    with pytest.raises(
        QcoderError, match=r"book\.json codes\[0\], field 'parent': 'ghost' is neither in the file nor in the project"
    ):
        plan_for(project, parse_json(b'[{"name": "a", "parent": "ghost"}]', source="book.json"))


# -- plan classification --------------------------------------------------------------


def test_plan_classifies_new_same_renamed_updated_conflicting(rich_project: Project) -> None:
    with rich_project.session() as s:
        rows = json.loads(export_codebook(s, ".json"))["codes"]
    by_name = {r["name"] + str(r["level"]): r for r in rows}
    by_name["主体地位0"]["name"] = "主体作用"  # renamed: same GUID, other name
    by_name["成果转化0"]["description"] = "新的定义"  # updated: same GUID and name
    by_name["企业主体1"]["guid"] = "0983e32e-6866-431a-bd94-dac9bb963825"  # same name+level, other GUID
    rows.append({"name": "需求牵引", "level": 2, "parent": "创新联合体赋能新质生产力"})  # new
    rows.append({"name": "颠倒", "level": 3, "parent_guid": by_name["主体地位0"]["guid"]})  # parent not higher
    rows.append({"name": "环甲", "parent": "环乙"})
    rows.append({"name": "环乙", "parent": "环甲"})  # a cycle: no level can be derived
    parsed = parse_json(json.dumps({"codes": rows}, ensure_ascii=False).encode(), source="edited.json")
    plan = plan_for(rich_project, parsed)
    got = {item.entry.name: (item.kind, item.reason) for item in plan.items if item.entry.name != "创新环境"}
    assert got["主体作用"] == ("renamed", "")  # its parent_guid still names the project's 企业主体: no move
    assert got["成果转化"] == ("updated", "")
    assert got["创新联合体赋能新质生产力"] == ("same", "")
    assert got["需求牵引"] == ("new", "")
    assert got["企业主体"][0] == "conflicting" and "already has '企业主体' under the same parent" in got["企业主体"][1]
    assert got["颠倒"] == ("conflicting", "its parent '主体作用' is at level 0, not above 3")
    assert got["环甲"] == got["环乙"] == ("conflicting", "the file's hierarchy has a cycle through this code")
    assert plan.summary() == "1 new, 3 same, 1 renamed, 1 updated, 4 conflicting"
    with rich_project.session() as s:
        lines = plan.lines(levels(s))
    assert "conflicting  环甲 [主范畴]  the file's hierarchy has a cycle through this code" in lines


def test_plan_lists_a_rename_with_old_and_new_name(rich_project: Project) -> None:
    guid = _guid(rich_project, "主体地位")
    parsed = parse_json(
        json.dumps([{"guid": guid, "name": "主体作用", "level": 0}], ensure_ascii=False).encode(), source="r.json"
    )
    plan = plan_for(rich_project, parsed)
    with rich_project.session() as s:
        assert plan.lines(levels(s)) == ["renamed      主体作用 [概念]  '主体地位' → '主体作用'"]


def test_apply_changes_only_what_the_plan_says_and_nothing_before(rich_project: Project) -> None:
    parsed = parse_json(
        json.dumps(
            [
                {"name": "需求牵引", "level": 2, "parent": "创新联合体赋能新质生产力", "colour": "#123456"},
                {"name": "市场需求", "parent": "需求牵引", "definition": "企业对技术的需求"},
            ],
            ensure_ascii=False,
        ).encode(),
        source="new.json",
    )
    before = row_counts(rich_project)
    plan = plan_for(rich_project, parsed)
    assert kinds(plan) == {"需求牵引": "new", "市场需求": "new"}
    assert row_counts(rich_project) == before  # planning changes nothing
    done = rich_project.run(lambda s: apply_plan(s, plan))
    assert done["new"] == 2
    codes = codes_of(rich_project)
    assert codes[("市场需求", 0)][1] == "需求牵引"  # a leaf without a stated level is a concept
    assert codes[("需求牵引", 2)][1] == "创新联合体赋能新质生产力"


def test_a_failed_apply_changes_nothing(rich_project: Project) -> None:
    parsed = parse_json(
        json.dumps(
            [{"name": "新范畴", "level": 1}, {"guid": _guid(rich_project, "成果转化"), "name": "转化", "level": 0}],
            ensure_ascii=False,
        ).encode(),
        source="edit.json",
    )
    plan = plan_for(rich_project, parsed)
    assert kinds(plan) == {"新范畴": "new", "转化": "renamed"}
    rich_project.run(lambda s: create_code(s, "转化", level=0))  # a colleague takes the name meanwhile
    before = row_counts(rich_project)
    with pytest.raises(Conflict, match="named '转化' already exists"):
        rich_project.run(lambda s: apply_plan(s, plan))
    assert row_counts(rich_project) == before
    assert ("新范畴", 1) not in codes_of(rich_project)


def test_a_stale_plan_is_refused(rich_project: Project) -> None:
    guid = _guid(rich_project, "成果转化")
    plan = plan_for(rich_project, parse_json(json.dumps([{"guid": guid, "name": "转化"}]).encode(), source="x.json"))
    rich_project.run(lambda s: update_code(s, find_code(s, guid), definition="changed meanwhile"))
    with pytest.raises(Conflict, match="changed since the plan was made"):
        rich_project.run(lambda s: apply_plan(s, plan))


def _guid(project: Project, name: str) -> str:
    with project.session() as s:
        return find_code(s, name, 0).guid


def test_renaming_in_the_project_then_reimporting_renames_back(rich_project: Project, tmp_path: Path) -> None:
    with rich_project.session() as s:
        (tmp_path / "book.qdc").write_bytes(export_codebook(s, ".qdc"))
    rich_project.run(lambda s: rename_code(s, find_code(s, "成果转化", 0), "转化成果"))
    plan = plan_for(rich_project, read_codebook(tmp_path / "book.qdc"))
    assert kinds(plan)["成果转化"] == "renamed"
    rich_project.run(lambda s: apply_plan(s, plan))
    assert ("成果转化", 0) in codes_of(rich_project)


def test_a_child_cannot_move_under_a_conflicting_parent(rich_project: Project) -> None:
    guid = _guid(rich_project, "主体地位")
    rows = [
        {"guid": "0983e32e-6866-431a-bd94-dac9bb963825", "name": "企业主体", "level": 1},  # clashes by name
        {"guid": guid, "name": "主体地位", "level": 0, "parent_guid": "0983e32e-6866-431a-bd94-dac9bb963825"},
        {"name": "新概念", "level": 0, "parent": "企业主体"},
    ]
    plan = plan_for(rich_project, parse_json(json.dumps(rows, ensure_ascii=False).encode(), source="p.json"))
    got = {item.entry.name: (item.kind, item.reason) for item in plan.items}
    assert got["主体地位"] == ("conflicting", "its parent '企业主体' is conflicting")
    assert got["新概念"] == ("conflicting", "its parent '企业主体' is conflicting")
    before = row_counts(rich_project)
    done = rich_project.run(lambda s: apply_plan(s, plan))
    assert done["conflicting"] == 3 and row_counts(rich_project)["codes"] == before["codes"]
