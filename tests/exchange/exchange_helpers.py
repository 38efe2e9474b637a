"""Helpers for exchange tests: a small but complete grounded-theory project, a
backend-neutral snapshot of a project's content, and files as other tools write them."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from factories import add_document
from lxml import etree
from sqlalchemy import func, select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.memos import add_memo
from qcoder.coding.relations import add_relation
from qcoder.store.database import Project
from qcoder.store.models import (
    Code,
    Coder,
    Coding,
    Document,
    DocumentReview,
    Event,
    Memo,
    Relation,
    Sentence,
    Setting,
)

REFI = Path(__file__).resolve().parents[1] / "data" / "refi"  # copies of the standard's files: README there
EXAMPLES = REFI / "examples"

DOC_A = ["创新联合体是新质生产力的载体。", "企业是科技创新的主体。", "揭榜挂帅机制激发活力。", "加快科技成果转化。"]
DOC_B = ["需求牵引创新方向。", "政策环境支持产学研合作。", "关键核心技术需要突破。"]

TABLES = (Coder, Document, Sentence, Code, Coding, DocumentReview, Relation, Memo, Setting)


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(REFI / name)))


def assert_valid(xml: bytes, xsd: str) -> None:
    validator = schema(xsd)
    document = etree.fromstring(xml)
    assert validator.validate(document), validator.error_log.filter_from_errors()


def row_counts(project: Project) -> dict[str, int]:
    """Rows per table (events excluded: reading never logs, writing always does)."""
    with project.session() as s:
        counts = {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}
        counts["events"] = s.scalar(select(func.count()).select_from(Event)) or 0
        return counts


def build_rich_project(project: Project) -> None:
    """Two documents (one hold-out, with attributes), four levels of codes, two coders,
    codings, memos on every kind of target, relations with notes, a review."""
    add_document(project, DOC_A, name="访谈A")
    add_document(project, DOC_B, name="访谈B", role="holdout")

    def work(s: Any) -> None:
        alice, bob = get_or_create_coder(s, "alice"), get_or_create_coder(s, "bob")
        doc_a = s.scalar(select(Document).where(Document.name == "访谈A"))
        doc_a.attributes = {"gender": "female", "region": "黑龙江"}
        core = create_code(s, "创新联合体赋能新质生产力", level=3, definition="核心范畴", colour="#aa0000")
        main = create_code(s, "创新环境", level=2, parent=core, definition="政策与市场环境")
        initial = create_code(s, "企业主体", level=1, parent=main, colour="#00AA00")
        concept = create_code(s, "主体地位", level=0, parent=initial, definition="企业的主体作用")
        loose = create_code(s, "成果转化", level=0)
        same_name = create_code(s, "创新环境", level=1)  # a name may recur at another level
        sentences = list(s.scalars(select(Sentence).order_by(Sentence.id)))
        add_codings(s, [sentences[0].id, sentences[1].id], concept.id, alice.id)
        add_codings(s, [sentences[1].id], concept.id, bob.id)
        add_codings(s, [sentences[3].id], loose.id, bob.id)
        add_codings(s, [sentences[5].id], same_name.id, alice.id)
        relation = add_relation(s, concept, loose, "causal", "主体地位推动成果转化", coder=alice)
        add_relation(s, initial, same_name, "similarity")
        add_memo(s, "整体故事线：创新联合体……", type_="storyline", title="故事线", coder=alice)
        add_memo(s, "文档备忘", target="document", target_id=doc_a.id, coder=bob)
        add_memo(s, "这句话很关键", type_="code", target="sentence", target_id=sentences[2].id, coder=alice)
        add_memo(s, "概念备忘", type_="operational", target="code", target_id=concept.id)
        add_memo(s, "关系备忘", target="relation", target_id=relation.id, coder=bob)
        mark_reviewed(s, doc_a.id, alice.id)

    project.run(work)


def snapshot(project: Project) -> dict[str, Any]:
    """The project's content without database ids: equal snapshots mean equal projects."""
    with project.session() as s:
        codes = {c.id: c for c in s.scalars(select(Code))}
        coders = {c.id: c.name for c in s.scalars(select(Coder))}
        docs = {d.id: d for d in s.scalars(select(Document))}
        sentences = {x.id: x for x in s.scalars(select(Sentence))}
        relations = {r.id: r for r in s.scalars(select(Relation))}

        def code_key(code_id: int) -> tuple[str, str, int]:
            code = codes[code_id]
            return code.guid, code.name, code.level

        def memo_target(m: Memo) -> Any:
            if m.document_id:
                return ("document", docs[m.document_id].sha256)
            if m.sentence_id:
                return ("sentence", sentences[m.sentence_id].label)
            if m.code_id:
                return ("code", codes[m.code_id].guid)
            if m.relation_id:
                return ("relation", relations[m.relation_id].guid)
            return ("project",)

        return {
            "documents": sorted(
                (d.label, d.name, d.sha256, d.text, d.original_text, d.encoding, d.role, sorted(d.attributes.items()))
                for d in docs.values()
            ),
            "statements": sorted(
                (x.label, docs[x.document_id].sha256, x.ordinal, x.start, x.end, x.kind, x.text, x.tokens)
                for x in sentences.values()
            ),
            "codes": sorted(
                (c.guid, c.name, c.level, codes[c.parent_id].guid if c.parent_id else None, c.definition, c.colour)
                for c in codes.values()
            ),
            "codings": sorted(
                (sentences[c.sentence_id].label, code_key(c.code_id), coders[c.coder_id])
                for c in s.scalars(select(Coding))
            ),
            "coders": sorted(coders.values()),
            "relations": sorted(
                (
                    r.guid,
                    codes[r.source_id].guid,
                    codes[r.target_id].guid,
                    r.type,
                    r.note,
                    coders.get(r.coder_id) if r.coder_id else None,
                )
                for r in relations.values()
            ),
            "memos": sorted(
                (m.guid, m.type, m.title, m.text, coders.get(m.coder_id) if m.coder_id else None, memo_target(m))
                for m in s.scalars(select(Memo))
            ),
            "reviews": sorted(
                (coders[r.coder_id], docs[r.document_id].sha256) for r in s.scalars(select(DocumentReview))
            ),
        }


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


U_ANA = "A5DE7584-8296-418B-A322-136F77ADF87B"
U_BEN = "{c32a2bd5-537f-4838-8b17-df9efbafdf4b}"  # braces and lower case, as some tools write
C_COKE = "7496BA52-9C8D-4396-8FAB-CC438614E453"
C_DIET = "D299EFAE-5779-46DC-9827-A3D1A5D544BC"
C_MILK = "C3C7D437-6932-4B14-A55D-30B7F811BBF3"
NOTE = "CE15250D-46AD-42C2-B90F-A509B8D64EC8"
SOURCE = "17FB9CB8-7858-4291-A162-65424B9942EC"
# What another tool's text file looks like on Windows: a byte-order mark and CR-LF line ends.
FOREIGN_TEXT = "Breakfast notes\r\nI like Coke. Diet Coke is better. It has no sugar.\r\nMilk is fine.\r\n"


def foreign_qde(
    text: str = FOREIGN_TEXT,
    *,
    namespace: str = "urn:QDA-XML:project:1:0",
    path: str = "breakfast.txt",
    extra_selection: str = "",
    code_ref: str = C_MILK,
) -> str:
    """A project as another tool writes it: flat code names, offsets into ``text`` as the file has it."""

    def span(piece: str) -> str:
        start = text.index(piece)
        return f'startPosition="{start}" endPosition="{start + len(piece)}"'

    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="{namespace}" name="breakfast" origin="OtherTool 1.0">
  <Users><User guid="{U_ANA}" name="Ana"/><User guid="{U_BEN}" name="Ben"/></Users>
  <CodeBook><Codes>
    <Code guid="{C_DIET}" name="Coke::diet Coke" isCodable="true" color="#966450"><Description>non sucré</Description></Code>
    <Code guid="{C_COKE}" name="Coke" isCodable="true"/>
    <Code guid="{C_MILK}" name="milk" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="{SOURCE}" name="Breakfast.txt" plainTextPath="{path}">
      <PlainTextSelection guid="4191294A-E287-4510-95B0-69BCE4638E56" name="Diet Coke is better." {span("Diet Coke is better.")}>
        <Coding guid="445A6AEC-1400-4502-919D-0867832FF211" creatingUser="{U_ANA}"><CodeRef targetGUID="{C_DIET}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="B49D7982-BB8E-4335-80AF-DC869CCC3F45" name="is better. It has" {span("is better. It has")}>
        <Coding guid="2284BF5B-8F78-45B6-A6EF-A128D991408B" creatingUser="{U_BEN}"><CodeRef targetGUID="{code_ref}"/></Coding>
      </PlainTextSelection>
      <PlainTextSelection guid="2F24EA88-C6A7-482B-8F89-893EF66D7A21" name="Milk is fine." {span("Milk is fine.")}>
        <Description>why milk?</Description>
        <Coding guid="89B9918E-4209-4FE0-BEA0-0C7FF56D67A4"><CodeRef targetGUID="{C_MILK}"/></Coding>
        <NoteRef targetGUID="{NOTE}"/>
      </PlainTextSelection>{extra_selection}
    </TextSource>
  </Sources>
  <Notes>
    <Note guid="{NOTE}" name="On milk" creatingUser="{U_ANA}"><PlainTextContent>Milk comes up often.</PlainTextContent></Note>
  </Notes>
  <Links>
    <Link guid="7B56978E-9D9F-4D47-B4EC-436E2F6B8BE5" name="is cause of" direction="OneWay" originGUID="{C_MILK}" targetGUID="{C_DIET}"/>
  </Links>
</Project>
"""


def foreign_qdpx(
    qde: str | None = None,
    *,
    text: str = FOREIGN_TEXT,
    qde_name: str = "Breakfast Study.qde",
    folder: str = "Sources",
    file_name: str = "breakfast.txt",
    extra: dict[str, bytes] | None = None,
) -> bytes:
    """Variants seen in the wild: the XML not named project.qde, a ``Sources`` folder, a BOM."""
    members = {
        qde_name: (qde or foreign_qde(text)).encode("utf-8"),
        f"{folder}/{file_name}": b"\xef\xbb\xbf" + text.encode("utf-8"),
    }
    members.update(extra or {})
    return make_zip(members)


# -- NVivo-like files: positions in UTF-16 code units --------------------------------------

# Emoji and an Extension-B ideograph (𠮷, U+20BB7) before and between the selections: each counts
# 2 in UTF-16, 1 as a code point. The last line is not coded: read the wrong way, the offsets
# still fall inside the text, so nothing but the statements coded would show the mistake.
WIDE_TEXT = """访谈记录 😀 2024年3月
Q: How did the 🏭 consortium start?
A: We began in 2019. The 𠮷 family firm joined first. Funding came later 👍.
Q: What changed? 🤔
A: Everything changed. Our partners 🤝 shared labs.
𠮷田说：创新联合体很重要。企业是科技创新的主体。
🎉🎉 最后，加快科技成果转化。
（访谈结束。录音时长四十二分钟，由课题组整理，受访者已审阅。）
"""
WIDE_USERS = {"Ana": "0B1E5F0C-1D1A-4C55-9F6E-7A2D7C1E0001", "Ben": "0B1E5F0C-1D1A-4C55-9F6E-7A2D7C1E0002"}
WIDE_CODES = {
    name: f"5A0C7E10-2B3C-4D5E-8F90-0000000000{n:02d}"
    for n, name in enumerate(["起源", "企业", "资金", "变化", "合作", "创新联合体", "转化"], start=1)
}
# (the passage a researcher selected, code, user)
WIDE_SELECTIONS = [
    ("Q: How did the 🏭 consortium start?", "起源", "Ana"),
    ("A: We began in 2019. The 𠮷 family firm joined first.", "起源", "Ana"),
    ("The 𠮷 family firm joined first.", "企业", "Ben"),
    ("Funding came later 👍.", "资金", "Ben"),
    ("Q: What changed? 🤔\nA: Everything changed.", "变化", "Ana"),
    ("Our partners 🤝 shared labs.", "合作", "Ben"),
    ("Our partners 🤝 shared labs.", "合作", "Ana"),
    ("𠮷田说：创新联合体很重要。", "创新联合体", "Ana"),
    ("创新联合体很重要", "创新联合体", "Ben"),
    ("企业是科技创新的主体。", "企业", "Ben"),
    ("最后，加快科技成果转化。", "转化", "Ana"),
]


def utf16_offset(text: str, index: int) -> int:
    """Where code point ``index`` of ``text`` falls in UTF-16 code units (as NVivo counts)."""
    return len(text[:index].encode("utf-16-le")) // 2


Selections = list[tuple[str, str, str]]


def wide_spans(text: str = WIDE_TEXT, selections: Selections = WIDE_SELECTIONS) -> list[tuple[int, int, str, str]]:
    """Each selection's code-point span in ``text`` (LF line ends), its code and user."""
    return [(text.index(piece), text.index(piece) + len(piece), code, user) for piece, code, user in selections]


def wide_qdpx(
    *,
    unit: str,
    origin: str | None,
    crlf: bool = False,
    offsets_count_cr: bool = True,
    text: str = WIDE_TEXT,
    selections: Selections = WIDE_SELECTIONS,
) -> bytes:
    """A project as NVivo writes one: one selection per coding, credited to its user, no selection
    names, positions in ``unit`` ("utf16" or "codepoints"); ``crlf`` writes the text with CR-LF."""
    file_text = text.replace("\n", "\r\n") if crlf else text
    counted = file_text if offsets_count_cr else text

    def position(index: int) -> int:
        if crlf and offsets_count_cr:
            index += text[:index].count("\n")  # the CRs before it
        return utf16_offset(counted, index) if unit == "utf16" else index

    users = "".join(f'<User guid="{guid}" name="{name}"/>' for name, guid in WIDE_USERS.items())
    codes = "".join(f'<Code guid="{guid}" name="{name}" isCodable="true"/>' for name, guid in WIDE_CODES.items())
    elements = []
    for number, (start, end, code, user) in enumerate(wide_spans(text, selections), start=1):
        elements.append(
            f'<PlainTextSelection guid="9D8C7B6A-0000-4000-8000-0000000001{number:02d}" name="" '
            f'startPosition="{position(start)}" endPosition="{position(end)}" creatingUser="{WIDE_USERS[user]}">'
            f'<Coding guid="9D8C7B6A-0000-4000-8000-0000000002{number:02d}" creatingUser="{WIDE_USERS[user]}">'
            f'<CodeRef targetGUID="{WIDE_CODES[code]}"/></Coding></PlainTextSelection>'
        )
    origin_attribute = f' origin="{origin}"' if origin is not None else ""
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="wide"{origin_attribute}>
  <Users>{users}</Users>
  <CodeBook><Codes>{codes}</Codes></CodeBook>
  <Sources>
    <TextSource guid="3C2B1A09-8F7E-4D6C-9B5A-000000000001" name="访谈.txt" plainTextPath="internal://3C2B1A09-8F7E-4D6C-9B5A-000000000001.txt">
      {"".join(elements)}
    </TextSource>
  </Sources>
</Project>
"""
    return make_zip(
        {
            "project.qde": qde.encode("utf-8"),
            "Sources/3C2B1A09-8F7E-4D6C-9B5A-000000000001.txt": file_text.encode("utf-8"),
        }
    )
