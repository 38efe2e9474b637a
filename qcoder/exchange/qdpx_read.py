"""Reading a REFI-QDA project (``.qdpx``/``.qde``) into plain records, checking everything.

This is the first half of a project import and touches no database: whatever is wrong
with the file — a dangling ``CodeRef`` or ``NoteRef``, a selection past the end of its
text, a broken GUID, qcoder side data that does not fit its text — is refused here with
the line it is on, so the second half (``qdpx_import``) only writes what is sound.

Selections count characters of the source's plain text, end exclusive: code points as the
standard says, or UTF-16 code units as NVivo writes them — decided once for the whole file
(see ``positions``) and converted to code points here. Line ends are stored as LF; when a
text file has CR-LF, the offsets are read as counting the CRs (the file as it is) unless
the LF reading fits the selections better: their names first (tools name a selection by its
opening words), then their word and line boundaries.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree

from qcoder.corpus.pipeline import control_note
from qcoder.corpus.types import Decoded, ImportRefused, PipelineOptions
from qcoder.errors import QcoderError
from qcoder.exchange import refi
from qcoder.exchange.codebook_read import CodeEntry, code_entries, element_place, level_sets
from qcoder.exchange.documents import (
    DocumentData,
    LineEnds,
    StatementData,
    check_statements,
    decode_source,
    normalize_line_ends,
)
from qcoder.exchange.package import Package
from qcoder.exchange.positions import (
    CODEPOINTS,
    UNIT_NAMES,
    UNITS,
    RawSelection,
    Reading,
    TextUnits,
    compare,
    decide,
    fits,
    name_fits,
    place,
)
from qcoder.exchange.qdpx_export import SIDE_FORMAT
from qcoder.exchange.statement_attributes import Entry as StatementAttributes
from qcoder.exchange.statement_attributes import parse as parse_statement_attributes
from qcoder.exchange.xml_safety import refi_root
from qcoder.store.models import MEMO_TYPES
from qcoder.store.safe_text import control_count, visible

_OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")


@dataclass
class SelectionData:
    guid: str
    name: str
    start: int  # in the stored (LF) text
    end: int
    where: str
    codings: list[tuple[str, str | None]]  # (code GUID, user GUID)
    note_refs: list[str]
    description: str
    coded_at: list[datetime | None] = field(default_factory=list)  # per coding: its creationDateTime


@dataclass
class SourceData:
    """A text source whose text is available; ``side`` is set when qcoder wrote it."""

    guid: str
    name: str
    where: str
    path: str
    raw: bytes
    decoded: Decoded
    text: str  # stored text: LF line ends
    line_ends: int
    selections: list[SelectionData]
    note_refs: list[str]
    variables: dict[str, str]
    side: DocumentData | None = None


@dataclass
class NoteData:
    guid: str
    name: str
    text: str
    user: str | None
    where: str
    created: datetime | None = None


@dataclass
class LinkData:
    guid: str
    name: str
    direction: str
    origin: str | None
    target: str | None
    note_refs: list[str]
    where: str


@dataclass
class ParsedProject:
    source: str
    origin: str
    users: dict[str, str]  # GUID → name
    codes: list[CodeEntry]
    code_notes: dict[str, list[str]]  # code GUID → note GUIDs
    sources: list[SourceData]
    notes: dict[str, NoteData]
    links: list[LinkData]
    project_notes: list[str]
    kinds: dict[str, str]  # every GUID in the file → its element name
    memo_types: dict[str, str] = field(default_factory=dict)
    relation_notes: set[str] = field(default_factory=set)
    reviews: list[tuple[str, str]] = field(default_factory=list)  # (user GUID, source GUID)
    holdout: set[str] = field(default_factory=set)
    relation_coders: dict[str, str] = field(default_factory=dict)  # link GUID → coder name
    ladder: list[str] = field(default_factory=list)  # level keys of the exporting qcoder project
    untitled_memos: set[str] = field(default_factory=set)
    created: dict[str, datetime] = field(default_factory=dict)  # code/relation GUID → creation time (qcoder's record)
    exemplars: dict[str, tuple[str, int]] = field(default_factory=dict)  # code GUID → (source GUID, statement number)
    # source GUID → (start, end, attributes) of its statements (qcoder's record; see statement_attributes)
    statement_attributes: dict[str, list[StatementAttributes]] = field(default_factory=dict)
    statement_attributes_unreadable: int = 0
    report: list[str] = field(default_factory=list)


@dataclass
class _Pending:
    """A source whose selections wait for the file's position unit."""

    data: SourceData
    literal: str  # the text as the file has it (CR-LF kept)
    ends: LineEnds
    elements: list[etree._Element]
    raw: list[RawSelection]


def _file_name(path: str) -> str:
    """A source's name from its ``plainTextPath`` (``internal://x.txt``, ``relative://a/b.txt``, ``C:\\x.txt``)."""
    tail = path.split("://", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]
    return tail.strip()


def _where(source: str, element: etree._Element) -> str:
    return element_place(source, element)


def _guid(element: etree._Element, attribute: str, source: str) -> str:
    return refi.normalize_guid(
        element.get(attribute), f"{_where(source, element)}, {element.tag} attribute '{attribute}'"
    )


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _int(element: etree._Element, attribute: str, source: str) -> int:
    value = (element.get(attribute) or "").strip()
    try:
        return int(value)
    except ValueError:
        raise QcoderError(
            f"{_where(source, element)}, {element.tag} attribute '{attribute}': {value!r} is not a whole number"
        ) from None


class _Reader:
    def __init__(self, package: Package, options: PipelineOptions) -> None:
        self.package = package
        self.options = options
        self.source = package.name if package.qde_name == package.name else f"{package.name}:{package.qde_name}"
        self.root = refi_root(package.qde, what=self.source, roots=("Project",))
        self.report: list[str] = []
        self.side = self._side_project()
        self.pending: list[_Pending] = []

    def _side_project(self) -> dict[str, Any]:
        data = self.package.member("qcoder/project.json")
        if data is None:
            return {}
        document = self._json(data, "qcoder/project.json")
        if document.get("format") != SIDE_FORMAT:
            return {}
        return document

    def _json(self, data: bytes, name: str) -> dict[str, Any]:
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise QcoderError(f"{self.package.name}: {name} is not valid JSON ({error})") from None
        if not isinstance(value, dict):
            raise QcoderError(f"{self.package.name}: {name} should hold a JSON object")
        return value

    def read(self) -> ParsedProject:
        root, source = self.root, self.source
        kinds: dict[str, str] = {}
        for element in root.iter():
            guid = refi.try_guid(element.get("guid")) if isinstance(element.tag, str) else None
            if guid:
                kinds.setdefault(guid, element.tag)
        users = {}
        for user in root.findall("Users/User"):
            guid = _guid(user, "guid", source)
            users[guid] = (user.get("name") or user.get("id") or "").strip() or f"user {guid[:8]}"
        codes_element = root.find("CodeBook/Codes")
        codes = code_entries(codes_element, source)
        self.report.extend(level_sets(root.find("Sets"), codes, source))
        code_notes: dict[str, list[str]] = {}
        for code in root.iterfind("CodeBook/Codes//Code"):
            refs = [_guid(ref, "targetGUID", source) for ref in code.findall("NoteRef")]
            if refs:
                code_notes[_guid(code, "guid", source)] = refs
        notes = self._notes()
        self._check_refs(codes, notes)
        origin = (root.get("origin") or "").strip()
        sources = self._sources()
        self._place_selections(origin)
        parsed = ParsedProject(
            source=source,
            origin=origin,
            users=users,
            codes=codes,
            code_notes=code_notes,
            sources=sources,
            notes=notes,
            links=self._links(kinds),
            project_notes=[_guid(ref, "targetGUID", source) for ref in root.findall("NoteRef")],
            kinds=kinds,
            relation_coders={str(k).lower(): str(v) for k, v in (self.side.get("relation_coders") or {}).items()},
            ladder=[str(level.get("key")) for level in self.side.get("levels") or [] if isinstance(level, dict)],
            untitled_memos={str(g).lower() for g in self.side.get("untitled_memos") or []},
            created=self._side_times(),
            exemplars=self._side_exemplars(),
        )
        parsed.statement_attributes, parsed.statement_attributes_unreadable = parse_statement_attributes(self.side)
        self._sets(parsed)
        self._report_ignored(root)
        parsed.report = self.report
        return parsed

    def _report_ignored(self, root: etree._Element) -> None:
        """Name what the file holds that qcoder has no place for, so nothing goes missing unsaid."""
        cases = root.findall("Cases/Case")
        if cases:
            self.report.append(f"not imported: {len(cases)} case(s); qcoder has no cases (use document attributes)")
        graphs = root.findall("Graphs/Graph")
        if graphs:
            self.report.append(f"not imported: {len(graphs)} graph(s) (network views); qcoder keeps only the links")
        coded_notes = sum(len(note.findall(".//Coding")) for note in root.findall("Notes/Note"))
        if coded_notes:
            self.report.append(f"not imported: {coded_notes} coding(s) inside notes; qcoder codes documents only")
        if _text(root.find("Description")):
            self.report.append("not imported: the project's description; qcoder projects have none")

    def _side_times(self) -> dict[str, datetime]:
        times: dict[str, datetime] = {}
        for guid, value in (self.side.get("created") or {}).items():
            when = refi.read_datetime(value if isinstance(value, str) else None)
            if when is not None and refi.try_guid(str(guid)):
                times[str(refi.try_guid(str(guid)))] = when
        return times

    def _side_exemplars(self) -> dict[str, tuple[str, int]]:
        found: dict[str, tuple[str, int]] = {}
        for guid, where in (self.side.get("exemplars") or {}).items():
            code, source = refi.try_guid(str(guid)), None
            if isinstance(where, list) and len(where) == 2 and isinstance(where[1], int):
                source = refi.try_guid(str(where[0]))
            if code and source:
                found[code] = (source, where[1])
        return found

    def _check_refs(self, codes: list[CodeEntry], notes: dict[str, NoteData]) -> None:
        known_codes = {entry.guid for entry in codes}
        for ref in self.root.iter("CodeRef"):
            target = _guid(ref, "targetGUID", self.source)
            if target not in known_codes:
                raise QcoderError(
                    f"{_where(self.source, ref)}: CodeRef points to code {target}, which the file does not define"
                )
        for ref in self.root.iter("NoteRef"):
            target = _guid(ref, "targetGUID", self.source)
            if target not in notes:
                raise QcoderError(
                    f"{_where(self.source, ref)}: NoteRef points to note {target}, which the file does not define"
                )

    # -- sources ---------------------------------------------------------------------

    def _sources(self) -> list[SourceData]:
        sources: list[SourceData] = []
        skipped: Counter[str] = Counter()
        seen: dict[str, str] = {}
        variables = {
            _guid(v, "guid", self.source): (v.get("name") or "").strip()
            for v in self.root.findall("Variables/Variable")
        }
        for element in self.root.findall("Sources/*"):
            if element.tag == "PDFSource":
                element = self._pdf_as_text(element)
            if element.tag != "TextSource":
                skipped[element.tag] += 1
                continue
            guid = _guid(element, "guid", self.source)
            if guid in seen:
                raise QcoderError(
                    f"{_where(self.source, element)}: source GUID {guid} is used twice (also at {seen[guid]})"
                )
            seen[guid] = _where(self.source, element)
            parsed = self._text_source(element, guid, variables)
            if parsed is not None:
                sources.append(parsed)
        if skipped:
            kinds = ", ".join(f"{n} {kind.removesuffix('Source').lower()}" for kind, n in sorted(skipped.items()))
            self.report.append(f"not imported: {kinds} source(s); qcoder codes text only")
        return sources

    def _pdf_as_text(self, element: etree._Element) -> etree._Element:
        """A PDF source as a text source, through the PDF reader when this qcoder has one
        (``qcoder.corpus.readers.pdf.pdf_text(bytes) -> str``); else the element unchanged (skipped).

        Its PDF selections are regions of pages, not text offsets: they are reported, not placed.
        """
        reader = pdf_reader()
        path = (element.get("path") or element.get("currentPath") or "").strip()
        data = self.package.source(path) if reader is not None and path else None
        if reader is None or data is None:
            return element
        try:
            text = reader(data)
        except Exception as error:  # a damaged PDF is reported, the rest imported
            self.report.append(f"PDF source {element.get('name') or path!r} could not be read ({error}); skipped")
            return element
        text_source = etree.Element("TextSource", guid=element.get("guid") or "")
        text_source.set("name", (element.get("name") or "").strip() or _file_name(path))
        etree.SubElement(text_source, "PlainTextContent").text = text
        regions = len(element.findall(".//PDFSelection"))
        if regions:
            self.report.append(
                f"PDF source {text_source.get('name')!r}: text imported; its {regions} PDF selection(s) are page "
                "regions, not text positions, and were not imported"
            )
        return text_source

    def _text_source(self, element: etree._Element, guid: str, variables: dict[str, str]) -> SourceData | None:
        where = _where(self.source, element)
        selections = element.findall("PlainTextSelection")
        inline = element.find("PlainTextContent")
        path = (element.get("plainTextPath") or "").strip()
        name = visible((element.get("name") or "").strip() or _file_name(path) or f"source {guid[:8]}")
        if inline is not None:
            raw: bytes | None = (inline.text or "").encode("utf-8")
            path = "(inline)"
        else:
            raw = self.package.source(path) if path else None
        if raw is not None and not raw.strip():
            self.report.append(f"source {name!r} has no text; skipped with its {len(selections)} selection(s)")
            return None
        if raw is None:
            self.report.append(
                f"source {name!r}: its text ({path or 'no plainTextPath'}) is not in the file; "
                f"skipped with its {len(selections)} selection(s)"
            )
            return None
        try:
            decoded = decode_source(raw, path, self.options)
        except ImportRefused as error:
            raise QcoderError(f"{where}: source {name!r} ({path}): {error}") from None
        text, ends = normalize_line_ends(decoded.text)
        controls = control_count(text)
        if controls:  # one for one: the selections' positions still fit
            text = visible(text)
            self.report.append(f"source {name!r}: {control_note(controls)}")
        raw_selections = []
        for selection in selections:  # positions are placed once the file's unit is known
            start, end = _int(selection, "startPosition", self.source), _int(selection, "endPosition", self.source)
            raw_selections.append(RawSelection(start, end, selection.get("name") or ""))
        whole = len(element.findall("Coding"))
        if whole:
            self.report.append(
                f"source {name!r}: {whole} coding(s) of the whole source not imported (qcoder codes statements)"
            )
        values: dict[str, str] = {}
        for holder in element.findall("VariableValue"):
            ref = holder.find("VariableRef")
            if ref is None:
                continue
            key = variables.get(_guid(ref, "targetGUID", self.source))
            value = next((child.text for child in holder if child.tag != "VariableRef"), None)
            if key and value is not None:
                values[key] = value.strip()
        description = _text(element.find("Description"))
        if description:
            values.setdefault("description", description)
        data = SourceData(
            guid=guid,
            name=name,
            where=where,
            path=path,
            raw=raw,
            decoded=decoded,
            text=text,
            line_ends=len(ends.removed),
            selections=[],
            note_refs=[_guid(r, "targetGUID", self.source) for r in element.findall("NoteRef")],
            variables=values,
        )
        self.pending.append(_Pending(data, decoded.text, ends, selections, raw_selections))
        data.side = self._side_document(data)
        return data

    # -- selection positions -----------------------------------------------------------

    def _place_selections(self, origin: str) -> None:
        """Decide the file's unit (code points or UTF-16), then each source's line ends, then place selections."""
        unit, why = self._unit(origin)
        if why:
            self.report.append(why)
        inside = 0
        for pending in self.pending:
            use_file_offsets = self._file_offsets(pending, unit)
            units = TextUnits(pending.literal if use_file_offsets else pending.data.text)
            ends = pending.ends if use_file_offsets else None
            for element, raw in zip(pending.elements, pending.raw):
                selection, exact = self._selection(element, raw, pending.data, units, unit, ends)
                pending.data.selections.append(selection)
                inside += not exact
        if inside:
            self.report.append(
                f"{inside} selection(s) began or ended inside a character outside the Basic Multilingual Plane; "
                "widened to whole characters"
            )

    def _unit(self, origin: str) -> tuple[str, str]:
        """The file's position unit and the report line saying why (empty when no selection depends on it)."""
        differing, readings = 0, {unit: Reading() for unit in UNITS}
        for pending in self.pending:
            texts = [pending.literal, pending.data.text] if pending.ends.removed else [pending.data.text]
            compared = [compare(TextUnits(text), pending.raw) for text in texts]
            differing += max(count for count, _ in compared)
            for unit in UNITS:  # each unit under its better line-end reading
                readings[unit].add(min((r[unit] for _, r in compared), key=Reading.rank))
        written = self.side.get("positions")
        if written in UNITS:
            note = f"positions read as {UNIT_NAMES[written]}: qcoder wrote them so (its record in the file says)"
            return written, note if differing else ""
        return decide(origin, differing, readings)

    def _file_offsets(self, pending: _Pending, unit: str) -> bool:
        """True: offsets count the file's CRs. Decided by which reading fits the selections' names
        (tools name a selection by its opening words), then their word and line boundaries."""
        if not pending.ends.removed:
            return True

        def evidence(text: str) -> tuple[int, int]:
            units = TextUnits(text)
            names = bounds = 0
            for raw in pending.raw:
                span = place(units, raw, unit)
                names += span is not None and name_fits(text, span[0], span[1], raw.name)
                bounds += fits(text, span)
            return names, bounds

        if evidence(pending.data.text) > evidence(pending.literal):
            self.report.append(
                f"source {pending.data.name!r} has CR-LF line ends; its offsets do not count the CRs "
                "(the selections fit their names and word boundaries that way)"
            )
            return False
        return True

    def _selection(
        self,
        element: etree._Element,
        raw: RawSelection,
        source: SourceData,
        units: TextUnits,
        unit: str,
        ends: LineEnds | None,
    ) -> tuple[SelectionData, bool]:
        """The selection in code points of the stored text, and whether its ends fell between characters."""
        where = _where(self.source, element)
        start, end = raw.start, raw.end
        label = element.get("name") or _guid(element, "guid", self.source)
        if start < 0 or end < start:
            raise QcoderError(f"{where}: selection {label!r} runs from {start} to {end}; refused")
        limit = units.length(unit)
        if end > limit:
            counted = "characters" if unit == CODEPOINTS else UNIT_NAMES[unit]
            raise QcoderError(
                f"{where}: selection {label!r} ends at {end}, past the end of source {source.name!r} ({limit} {counted})"
            )
        start, exact_start = units.to_codepoints(start, unit)
        end, exact_end = units.to_codepoints(end, unit, round_up=True)
        if ends is not None:
            start, end = ends.to_stored(start), ends.to_stored(end)
        selection_user = refi.try_guid(element.get("creatingUser"))
        codings = []
        coded_at = []
        for coding in element.findall("Coding"):
            ref = coding.find("CodeRef")
            if ref is None:
                raise QcoderError(f"{_where(self.source, coding)}: Coding without a CodeRef")
            codings.append(
                (_guid(ref, "targetGUID", self.source), refi.try_guid(coding.get("creatingUser")) or selection_user)
            )
            coded_at.append(
                refi.read_datetime(coding.get("creationDateTime"))
                or refi.read_datetime(element.get("creationDateTime"))
            )
        return SelectionData(
            guid=_guid(element, "guid", self.source),
            name=label,
            start=start,
            end=end,
            where=where,
            codings=codings,
            note_refs=[_guid(r, "targetGUID", self.source) for r in element.findall("NoteRef")],
            description=_text(element.find("Description")),
            coded_at=coded_at,
        ), exact_start and exact_end

    def _side_document(self, source: SourceData) -> DocumentData | None:
        """qcoder's record of this document: statements, original bytes, label — checked against the text."""
        if not self.side:
            return None
        name = f"qcoder/documents/{source.guid}.json"
        data = self.package.member(name)
        if data is None:
            return None
        side = self._json(data, name)
        where = f"{self.package.name}: {name}"
        try:
            statements = [StatementData(int(s), int(e), str(k), str(t)) for s, e, k, t in side["statements"]]
            sha = str(side["sha256"])
        except (KeyError, TypeError, ValueError):
            raise QcoderError(f"{where}: 'statements' or 'sha256' missing or malformed") from None
        check_statements(source.text, statements, where)
        if len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha):
            raise QcoderError(f"{where}: 'sha256' is not a SHA-256 digest")
        # The recorded digest is the document's identity in its project (merges match on it),
        # so it is kept even when the original bytes are absent.
        raw = self.package.member(f"qcoder/raw/{source.guid}.bin") or source.raw
        return DocumentData(
            name=source.name,
            sha256=sha,
            raw_bytes=raw,
            encoding=str(side.get("encoding") or "utf-8"),
            original_text=str(side.get("original_text", source.text)),
            text=source.text,
            statements=statements,
            label=side.get("label"),
            source_path=side.get("source_path"),
            attributes=source.variables,
            import_report=[str(line) for line in side.get("import_report") or []],
        )

    # -- notes, links, sets ----------------------------------------------------------

    def _notes(self) -> dict[str, NoteData]:
        notes: dict[str, NoteData] = {}
        for element in self.root.findall("Notes/Note"):
            guid = _guid(element, "guid", self.source)
            where = _where(self.source, element)
            if guid in notes:
                raise QcoderError(f"{where}: note GUID {guid} is used twice (also at {notes[guid].where})")
            content = element.find("PlainTextContent")
            text = (content.text or "") if content is not None else ""
            if content is None and element.get("plainTextPath"):
                raw = self.package.source(element.get("plainTextPath") or "")
                text = raw.decode("utf-8-sig", errors="replace") if raw is not None else ""
            description = _text(element.find("Description"))
            text = f"{description}\n\n{text}".strip() if description else text
            notes[guid] = NoteData(
                guid=guid,
                name=(element.get("name") or "").strip(),
                text=text.replace("\r\n", "\n"),
                user=refi.try_guid(element.get("creatingUser")),
                where=where,
                created=refi.read_datetime(element.get("creationDateTime")),
            )
        return notes

    def _links(self, kinds: dict[str, str]) -> list[LinkData]:
        links = []
        for element in self.root.findall("Links/Link"):
            where = _where(self.source, element)
            ends = []
            for attribute in ("originGUID", "targetGUID"):
                value = element.get(attribute)
                guid = _guid(element, attribute, self.source) if value else None
                if guid is not None and guid not in kinds:
                    raise QcoderError(
                        f"{where}: Link {element.get('name') or ''!r} points to {guid}, which is not in the file"
                    )
                ends.append(guid)
            links.append(
                LinkData(
                    guid=_guid(element, "guid", self.source),
                    name=(element.get("name") or "").strip(),
                    direction=element.get("direction") or "",
                    origin=ends[0],
                    target=ends[1],
                    note_refs=[_guid(r, "targetGUID", self.source) for r in element.findall("NoteRef")],
                    where=where,
                )
            )
        return links

    def _sets(self, parsed: ParsedProject) -> None:
        sources = {s.guid for s in parsed.sources}
        foreign = 0
        for element in self.root.findall("Sets/Set"):
            marker = _text(element.find("Description"))
            members_note = [_guid(m, "targetGUID", self.source) for m in element.findall("MemberNote")]
            members_source = [_guid(m, "targetGUID", self.source) for m in element.findall("MemberSource")]
            for guid in members_note:
                if guid not in parsed.notes and marker.startswith("qcoder:"):
                    raise QcoderError(
                        f"{_where(self.source, element)}: set {element.get('name')!r} names note {guid}, which is not in the file"
                    )
            if (memo_type := refi.marker_value(marker, refi.MEMO_TYPE_MARKER)) is not None:
                if memo_type not in MEMO_TYPES:
                    raise QcoderError(
                        f"{_where(self.source, element)}: memo type {memo_type!r} unknown; qcoder has {', '.join(MEMO_TYPES)}"
                    )
                parsed.memo_types.update({guid: memo_type for guid in members_note})
            elif refi.marker_value(marker, refi.RELATION_NOTE_MARKER) is not None:
                parsed.relation_notes.update(members_note)
            elif (user := refi.marker_value(marker, refi.REVIEW_MARKER)) is not None:
                user_guid = refi.normalize_guid(user, f"{_where(self.source, element)}, review set")
                parsed.reviews.extend((user_guid, guid) for guid in members_source if guid in sources)
            elif refi.marker_value(marker, refi.ROLE_MARKER) == "holdout":
                parsed.holdout.update(guid for guid in members_source if guid in sources)
            elif refi.level_of_set(element.get("name"), marker) is None and not element.findall("MemberCode"):
                foreign += 1
        if foreign:
            self.report.append(f"{foreign} document/note group(s) (Sets) not imported; qcoder has no groups")


def pdf_reader() -> Callable[[bytes], str] | None:
    """The PDF reader of the import pipeline (``qcoder.corpus.readers.pdf.pdf_text``)."""
    from qcoder.corpus.readers.pdf import pdf_text

    return pdf_text


def read_project(package: Package, options: PipelineOptions = PipelineOptions()) -> ParsedProject:
    """Parse and check a package; raises QcoderError naming the line of the first problem."""
    return _Reader(package, options).read()
