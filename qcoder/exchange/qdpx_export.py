"""Project export as a REFI-QDA ``.qdpx`` (a zip: ``project.qde`` plus ``sources/``).

What goes where, so NVivo, ATLAS.ti and MAXQDA see a normal project:

* coders → ``Users``; codes → nested ``Code``s (definitions as ``Description``);
* each document → a ``TextSource`` whose normalized text is ``sources/<guid>.txt``;
* codings → ``PlainTextSelection``s (offsets into that text, end exclusive; code points as
  the standard says, or UTF-16 code units for NVivo), each holding one ``Coding`` and
  credited (``creatingUser``) to the coder who made it: other tools credit a coding to its
  selection's user, so a selection never mixes coders. Consecutive statements coded by one
  coder with one code are one selection (a run), so reference counts in other tools match
  what the researcher coded; a run is broken where a quote span stops short of its
  statement's end or starts after its beginning, and a coding's quote span is the selection's
  start or end, so partial selections from other tools go back exactly as they came;
  a statement's memos hang on a selection of that statement;
* memos → ``Note``s referenced (``NoteRef``) from what they are about; a relation's own
  note is a ``Note`` too, grouped in a ``qcoder:relation-note`` Set;
* axial relations → ``Link``s named by their type; levels, memo types, review marks and
  the hold-out role → ``Set``s (see ``refi``).

What REFI-QDA has no place for — every statement's boundaries and tokens, the original
bytes and decoded text, labels — goes into ``qcoder/`` inside the zip, which other tools
ignore; qcoder's own import uses it to restore the project exactly. GUIDs are stable, and
zip entries carry a fixed date, so exporting an unchanged project gives the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import Select, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from qcoder.coding.codes import code_tree
from qcoder.errors import QcoderError
from qcoder.exchange import refi, statement_attributes
from qcoder.exchange.codebook_write import add_code_elements, add_level_sets, to_bytes
from qcoder.exchange.positions import CODEPOINTS, UNIT_NAMES, UNITS, TextUnits
from qcoder.store.models import Code, Coder, Coding, Document, DocumentReview, Memo, Relation, Sentence
from qcoder.store.settings import get_setting, levels

NS = refi.PROJECT_NS
SIDE_FORMAT = "qcoder-qdpx"
SIDE_VERSION = 1
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ASSOCIATIVE_TYPES = frozenset({"similarity"})


def _el(parent: etree._Element, tag: str, **attrib: str | None) -> etree._Element:
    return etree.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrib.items() if v is not None})


def _text_el(parent: etree._Element, tag: str, text: str) -> etree._Element:
    element = _el(parent, tag)
    element.text = refi.xml_text(text)
    return element


@dataclass
class Run:
    """One coder's code on consecutive statements of a document: one selection in the file."""

    coder_id: int
    code_id: int
    statements: list[Sentence]
    codings: list[Coding]


def coding_runs(sentences: Sequence[Sentence], codings: dict[int, list[Coding]]) -> list[Run]:
    """The codings of ``sentences`` (in text order) as runs: statements next to each other coded
    by the same coder with the same code make one run, so other tools count one reference where
    the researcher coded one passage. Each run holds one coder's work only."""
    runs: list[Run] = []
    open_runs: dict[tuple[int, int], Run] = {}
    previous: int | None = None
    for sentence in sentences:
        here = {(c.coder_id, c.code_id): c for c in codings.get(sentence.id, [])}
        adjacent = previous is not None and sentence.ordinal == previous + 1
        open_runs = {
            key: run
            for key, run in open_runs.items()
            if adjacent and key in here and _reaches_end(run.codings[-1], run.statements[-1]) and _from_start(here[key])
        }
        for key, coding in here.items():
            run = open_runs.get(key)
            if run is None:
                run = open_runs[key] = Run(key[0], key[1], [], [])
                runs.append(run)
            run.statements.append(sentence)
            run.codings.append(coding)
        previous = sentence.ordinal
    return runs


def _reaches_end(coding: Coding, sentence: Sentence) -> bool:
    """The coding's quote runs to the end of its statement (or it codes the whole statement)."""
    return coding.quote_end is None or coding.quote_end >= len(sentence.text)


def _from_start(coding: Coding) -> bool:
    return not coding.quote_start


def run_span(run: Run) -> tuple[int, int]:
    """The run's selection in code points of the document's text: from the first coding's quote
    (or statement) start to the last coding's quote (or statement) end."""
    first, last = run.statements[0], run.statements[-1]
    head, tail = run.codings[0], run.codings[-1]
    start = first.start + (head.quote_start or 0)
    end = last.start + tail.quote_end if tail.quote_end is not None else last.end
    return start, end


@dataclass
class ExportSummary:
    documents: int
    statements_coded: int
    codings: int
    codes: int
    memos: int
    relations: int
    coders: int
    selections: int = 0  # coding selections written: one per coder, code and run of statements
    positions: str = CODEPOINTS

    def line(self) -> str:
        return (
            f"{self.documents} documents, {self.codes} codes, {self.codings} codings on {self.statements_coded} "
            f"statements by {self.coders} coders ({self.selections} selections, positions in "
            f"{UNIT_NAMES[self.positions]}), {self.memos} memos, {self.relations} relations"
        )


class _ProjectWriter:
    """Reads the whole project once and builds ``project.qde`` plus the side files."""

    def __init__(self, session: Session, name: str, positions: str = CODEPOINTS) -> None:
        if positions not in UNITS:
            raise QcoderError(f"positions are counted in {' or '.join(UNITS)}; got {positions!r}")
        self.session = session
        self.name = name
        self.positions = positions
        self.selections = 0  # coding selections written
        self.coders = list(session.scalars(select(Coder).order_by(Coder.id)))
        self.coder_name = {c.id: c.name for c in self.coders}
        kept = get_setting(session, "refi_guids") or {}
        kept_users, kept_sources = kept.get("users") or {}, kept.get("sources") or {}
        self.coder_guid = {c.id: kept_users.get(c.name) or refi.coder_guid(c.name) for c in self.coders}
        self.codes = {c.id: c for c in session.scalars(select(Code))}
        self.documents = list(session.scalars(select(Document).order_by(Document.label)))
        self.doc_guid = {d.id: kept_sources.get(d.sha256) or refi.document_guid(d.sha256) for d in self.documents}
        self.memos = list(session.scalars(select(Memo).order_by(Memo.id)))
        self.relations = list(session.scalars(select(Relation).order_by(Relation.id)))
        self.reviews = list(session.scalars(select(DocumentReview).order_by(DocumentReview.id)))
        self.codings: dict[int, list[Coding]] = defaultdict(list)
        for coding in session.scalars(select(Coding).order_by(Coding.id)):
            self.codings[coding.sentence_id].append(coding)
        self.memos_on: dict[tuple[str, int | None], list[Memo]] = defaultdict(list)
        for memo in self.memos:
            self.memos_on[_memo_target(memo)].append(memo)

    def relation_note_guid(self, relation: Relation) -> str:
        return refi.stable_guid("relation-note", relation.guid)

    def build(self) -> tuple[etree._Element, dict[str, bytes]]:
        created = min((d.imported_at for d in self.documents), default=None)
        root = etree.Element(
            f"{{{NS}}}Project",
            nsmap={None: NS},  # type: ignore[dict-item]  # lxml-stubs forbid the None (default) prefix
            name=refi.xml_text(self.name) or "qcoder project",
            origin=refi.ORIGIN,
        )
        if created is not None:
            root.set("creationDateTime", refi.xml_datetime(created) or "")
        if self.coders:
            users = _el(root, "Users")
            for coder in self.coders:
                _el(users, "User", guid=self.coder_guid[coder.id], name=refi.xml_text(coder.name))
        nodes = code_tree(self.session)
        if nodes:
            refs = {cid: [m.guid for m in self.memos_on[("code", cid)]] for cid in self.codes}
            add_code_elements(_el(_el(root, "CodeBook"), "Codes"), nodes, NS, refs)
        keys = sorted({key for d in self.documents for key in (d.attributes or {})})
        if keys:
            variables = _el(root, "Variables")
            for key in keys:
                _el(variables, "Variable", guid=refi.variable_guid(key), name=refi.xml_text(key), typeOfVariable="Text")
        files: dict[str, bytes] = {}
        if self.documents:
            sources = _el(root, "Sources")
            for document in self.documents:
                self._source(sources, document, files)
        self._notes(root, files)
        self._links(root)
        self._sets(root)
        for memo in self.memos_on[("project", None)]:
            _el(root, "NoteRef", targetGUID=memo.guid)
        files["qcoder/project.json"] = self._side_project()
        return root, files

    def _source(self, sources: etree._Element, document: Document, files: dict[str, bytes]) -> None:
        guid = self.doc_guid[document.id]
        source = _el(
            sources,
            "TextSource",
            guid=guid,
            name=refi.xml_text(document.name),
            plainTextPath=f"internal://{guid}.txt",
            creationDateTime=refi.xml_datetime(document.imported_at),
        )
        sentences = list(
            self.session.scalars(select(Sentence).where(Sentence.document_id == document.id).order_by(Sentence.ordinal))
        )
        units = TextUnits(document.text)
        runs = coding_runs(sentences, self.codings)
        runs.sort(key=lambda r: (r.statements[0].ordinal, self.coder_name[r.coder_id], self.codes[r.code_id].guid))
        for run in runs:
            self._run_selection(source, document, units, run)
        self.selections += len(runs)
        for sentence in sentences:
            memos = self.memos_on[("sentence", sentence.id)]
            if memos:
                self._memo_selection(source, document, units, sentence, memos)
        for memo in self.memos_on[("document", document.id)]:
            _el(source, "NoteRef", targetGUID=memo.guid)
        for sentence in sentences:  # tools that ignore a selection's NoteRef (QualCoder) see them on the source
            for memo in self.memos_on[("sentence", sentence.id)]:
                _el(source, "NoteRef", targetGUID=memo.guid)
        for key, value in sorted((document.attributes or {}).items()):
            holder = _el(source, "VariableValue")
            _el(holder, "VariableRef", targetGUID=refi.variable_guid(key))
            _text_el(holder, "TextValue", str(value))
        files[f"sources/{guid}.txt"] = document.text.encode("utf-8")
        files[f"qcoder/raw/{guid}.bin"] = document.raw_bytes
        files[f"qcoder/documents/{guid}.json"] = _json(
            {
                "label": document.label,
                "sha256": document.sha256,
                "encoding": document.encoding,
                "source_path": document.source_path,
                "import_report": document.import_report or [],
                "imported_at": refi.xml_datetime(document.imported_at),
                "original_text": document.original_text,
                "statements": [[s.start, s.end, s.kind, s.tokens] for s in sentences],
            }
        )

    def _position(self, units: TextUnits, index: int) -> str:
        return str(units.from_codepoints(index, self.positions))

    def _run_selection(self, source: etree._Element, document: Document, units: TextUnits, run: Run) -> None:
        """One selection for one coder's code on consecutive statements, credited to that coder."""
        first, last = run.statements[0], run.statements[-1]
        code = self.codes[run.code_id]
        coder = self.coder_name[run.coder_id]
        created = min(c.created_at for c in run.codings)
        name = first.label if first is last else f"{first.label}–{last.label.rsplit('-', 1)[-1]}"
        start, end = run_span(run)
        selection = _el(
            source,
            "PlainTextSelection",
            guid=refi.run_guid(document.sha256, first.ordinal, last.ordinal, code.guid, coder),
            name=name,
            startPosition=self._position(units, start),
            endPosition=self._position(units, end),
            creatingUser=self.coder_guid[run.coder_id],
            creationDateTime=refi.xml_datetime(created),
        )
        element = _el(
            selection,
            "Coding",
            guid=refi.coding_guid(document.sha256, first.ordinal, code.guid, coder),
            creatingUser=self.coder_guid[run.coder_id],
            creationDateTime=refi.xml_datetime(created),
        )
        _el(element, "CodeRef", targetGUID=code.guid)

    def _memo_selection(
        self, source: etree._Element, document: Document, units: TextUnits, sentence: Sentence, memos: list[Memo]
    ) -> None:
        """A statement's memos hang on a selection of that statement alone, so they return to it."""
        author = next((m.coder_id for m in memos if m.coder_id is not None), None)
        selection = _el(
            source,
            "PlainTextSelection",
            guid=refi.statement_guid(document.sha256, sentence.ordinal),
            name=sentence.label,
            startPosition=self._position(units, sentence.start),
            endPosition=self._position(units, sentence.end),
            creatingUser=self.coder_guid.get(author) if author is not None else None,
            creationDateTime=refi.xml_datetime(min(m.created_at for m in memos)),
        )
        # QualCoder keeps a selection's Description as its memo; qcoder's import knows it is the notes' text
        _text_el(selection, "Description", memo_description(memos))
        for memo in memos:
            _el(selection, "NoteRef", targetGUID=memo.guid)

    def _notes(self, root: etree._Element, files: dict[str, bytes]) -> None:
        """Memos as Notes: the text inline and as a plain-text file (``plainTextPath``), since
        some tools read only one of the two."""
        noted = [r for r in self.relations if r.note]
        if not self.memos and not noted:
            return
        notes = _el(root, "Notes")
        for memo in self.memos:
            note = _el(
                notes,
                "Note",
                guid=memo.guid,
                name=refi.xml_text(memo.title) or f"{memo.type} memo",
                plainTextPath=f"internal://{memo.guid}.txt",
                creatingUser=self.coder_guid.get(memo.coder_id) if memo.coder_id else None,
                creationDateTime=refi.xml_datetime(memo.created_at),
                modifiedDateTime=refi.xml_datetime(memo.updated_at),
            )
            _text_el(note, "PlainTextContent", memo.text)
            files[f"sources/{memo.guid}.txt"] = memo.text.encode("utf-8")
        for relation in noted:
            source, target = self.codes[relation.source_id], self.codes[relation.target_id]
            note = _el(
                notes,
                "Note",
                guid=self.relation_note_guid(relation),
                name=refi.xml_text(f"{source.name} → {target.name} ({relation.type})"),
                creatingUser=self.coder_guid.get(relation.coder_id) if relation.coder_id else None,
                creationDateTime=refi.xml_datetime(relation.created_at),
            )
            _text_el(note, "PlainTextContent", relation.note)

    def _links(self, root: etree._Element) -> None:
        if not self.relations:
            return
        links = _el(root, "Links")
        for relation in self.relations:
            link = _el(
                links,
                "Link",
                guid=relation.guid,
                name=relation.type,
                direction="Associative" if relation.type in ASSOCIATIVE_TYPES else "OneWay",
                originGUID=self.codes[relation.source_id].guid,
                targetGUID=self.codes[relation.target_id].guid,
            )
            if relation.note:
                _el(link, "NoteRef", targetGUID=self.relation_note_guid(relation))
            for memo in self.memos_on[("relation", relation.id)]:
                _el(link, "NoteRef", targetGUID=memo.guid)

    def _sets(self, root: etree._Element) -> None:
        sets = etree.Element(f"{{{NS}}}Sets")
        add_level_sets(sets, list(self.codes.values()), levels(self.session), NS, "targetGUID")
        for memo_type in sorted({m.type for m in self.memos}):
            self._set(
                sets,
                f"{refi.MEMO_TYPE_MARKER}{memo_type}",
                f"qcoder {memo_type} memos",
                notes=[m.guid for m in self.memos if m.type == memo_type],
            )
        noted = [self.relation_note_guid(r) for r in self.relations if r.note]
        if noted:
            self._set(sets, refi.RELATION_NOTE_MARKER, "qcoder relation notes", notes=noted)
        for coder in self.coders:
            reviewed = [self.doc_guid[r.document_id] for r in self.reviews if r.coder_id == coder.id]
            if reviewed:
                guid = self.coder_guid[coder.id]
                self._set(sets, f"{refi.REVIEW_MARKER}{guid}", f"reviewed by {coder.name}", sources=reviewed)
        holdout = [self.doc_guid[d.id] for d in self.documents if d.role == "holdout"]
        if holdout:
            self._set(sets, f"{refi.ROLE_MARKER}holdout", "hold-out documents (saturation check)", sources=holdout)
        if len(sets):
            root.append(sets)

    @staticmethod
    def _set(
        sets: etree._Element, marker: str, name: str, *, sources: Sequence[str] = (), notes: Sequence[str] = ()
    ) -> None:
        element = _el(sets, "Set", guid=refi.set_guid(marker), name=refi.xml_text(name))
        _text_el(element, "Description", marker)
        for guid in sources:
            _el(element, "MemberSource", targetGUID=guid)
        for guid in notes:
            _el(element, "MemberNote", targetGUID=guid)

    def _side_project(self) -> bytes:
        return _json(
            {
                "format": SIDE_FORMAT,
                "version": SIDE_VERSION,
                "levels": get_setting(self.session, "levels"),
                "relation_types": get_setting(self.session, "relation_types"),
                "relation_coders": {
                    r.guid: self.coder_name[r.coder_id] for r in self.relations if r.coder_id is not None
                },
                "untitled_memos": [m.guid for m in self.memos if not m.title],  # their Note names are made up
                "positions": self.positions,
                # What REFI-QDA has no place for: codes' and relations' creation times, and each
                # code's exemplar statement (source GUID and statement number).
                "created": {
                    **{c.guid: refi.xml_datetime(c.created_at) for c in self.codes.values()},
                    **{r.guid: refi.xml_datetime(r.created_at) for r in self.relations},
                },
                "exemplars": self._exemplars(),
                **self._statement_attributes(),
            }
        )

    def _statement_attributes(self) -> dict[str, object]:
        """Statements' own attributes (speaker, time, page …), which REFI-QDA has no place for."""
        found = statement_attributes.collect(self.session, self.doc_guid)
        return {statement_attributes.SIDE_KEY: found} if found else {}

    def _exemplars(self) -> dict[str, list[object]]:
        chosen = {c.guid: c.exemplar_sentence_id for c in self.codes.values() if c.exemplar_sentence_id}
        if not chosen:
            return {}
        where = {
            sid: (self.doc_guid[doc], ordinal)
            for sid, doc, ordinal in self.session.execute(
                select(Sentence.id, Sentence.document_id, Sentence.ordinal).where(
                    Sentence.id.in_(list(chosen.values()))
                )
            )
        }
        return {guid: list(where[sid]) for guid, sid in sorted(chosen.items()) if sid in where}


def memo_description(memos: Sequence[Memo] | Sequence[str]) -> str:
    """The text a statement's memos put in their selection's Description (blank-line separated)."""
    return "\n\n".join(m if isinstance(m, str) else m.text for m in memos)


def _memo_target(memo: Memo) -> tuple[str, int | None]:
    for kind in ("document", "sentence", "code", "relation"):
        target = getattr(memo, f"{kind}_id")
        if target is not None:
            return kind, target
    return "project", None


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def build_project(session: Session, *, name: str, positions: str = CODEPOINTS) -> tuple[bytes, dict[str, bytes]]:
    """``project.qde`` as bytes and the other zip members by path."""
    root, files = _ProjectWriter(session, name, positions).build()
    return to_bytes(root), files


def export_project(session: Session, *, name: str, positions: str = CODEPOINTS) -> bytes:
    """The whole project as ``.qdpx`` bytes; ``positions`` is the unit of selection offsets
    (code points, the standard; ``utf16`` for NVivo, which counts UTF-16 code units)."""
    return _package(session, name, positions)[0]


def _package(session: Session, name: str, positions: str) -> tuple[bytes, int]:
    """The ``.qdpx`` bytes and how many coding selections they hold."""
    writer = _ProjectWriter(session, name, positions)
    root, files = writer.build()
    qde = to_bytes(root)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in [("project.qde", qde), *sorted(files.items())]:
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue(), writer.selections


def project_name(url: str) -> str:
    """A readable name for the project: the SQLite file's stem or the PostgreSQL database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        name = Path(parsed.database).name
        for suffix in (".db", ".sqlite", ".qcoder"):
            name = name.removesuffix(suffix)
        return name or "qcoder project"
    return parsed.database or "qcoder project"


def summarize(session: Session) -> ExportSummary:
    def count(query: Select[int]) -> int:
        return session.scalar(query) or 0

    return ExportSummary(
        documents=count(select(func.count()).select_from(Document)),
        statements_coded=count(select(func.count(func.distinct(Coding.sentence_id)))),
        codings=count(select(func.count()).select_from(Coding)),
        codes=count(select(func.count()).select_from(Code)),
        memos=count(select(func.count()).select_from(Memo)),
        relations=count(select(func.count()).select_from(Relation)),
        coders=count(select(func.count()).select_from(Coder)),
    )


def write_project(session: Session, path: Path, *, name: str, positions: str = CODEPOINTS) -> ExportSummary:
    if path.suffix.lower() != ".qdpx":
        raise QcoderError(f"a project export is a .qdpx file; got {path.name!r}")
    data, selections = _package(session, name, positions)
    try:
        path.write_bytes(data)
    except OSError as error:
        raise QcoderError(f"cannot write {path}: {error.strerror}") from None
    summary = summarize(session)
    summary.selections, summary.positions = selections, positions
    return summary
