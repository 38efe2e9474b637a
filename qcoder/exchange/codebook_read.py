"""Reading codebooks written by qcoder or other tools (.qdc, .csv, .json) into plain entries.

Reading only parses and checks the file; nothing is matched against a project here, so
every error can name the line, row or field it comes from. Other tools' habits are
accepted: any spelling of the REFI namespace, GUIDs in either case with or without braces,
ATLAS.ti's flat names ``Coke::diet Coke`` for a hierarchy, CSV headers in several dialects.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from qcoder.errors import QcoderError, file_bytes, file_size
from qcoder.exchange import refi
from qcoder.exchange.xml_safety import refi_root
from qcoder.store.safe_text import csv_value, visible

MAX_CODEBOOK_BYTES = 20 * 1024 * 1024


@dataclass
class CodeEntry:
    """One code as the file describes it, before matching it against a project.

    ``key`` identifies the entry within the file (its GUID, else its path). ``parent_key``
    names a parent in the same file; ``parent_ref`` a GUID or name the file refers to but
    does not define (resolved against the project when planning). ``level`` is a rank or a
    level name/key when the file states it, else None (derived from the hierarchy).
    """

    key: str
    name: str
    where: str
    guid: str | None = None
    parent_key: str | None = None
    parent_ref: str | None = None
    parent_known: bool = True  # False: the file says nothing about the parent (CSV without the column)
    level: int | str | None = None
    definition: str = ""
    colour: str | None = None
    implied: bool = False  # made up for the "Coke" of "Coke::diet Coke" when the file lacks it


@dataclass
class ParsedCodebook:
    source: str
    entries: list[CodeEntry]
    notes: list[str] = field(default_factory=list)

    def by_key(self) -> dict[str, CodeEntry]:
        return {entry.key: entry for entry in self.entries}


# ---------------------------------------------------------------------------------------
# REFI-QDA (.qdc, and the CodeBook inside a project)
# ---------------------------------------------------------------------------------------


def _line(source: str, element: etree._Element) -> str:
    return element_place(source, element)


def element_place(source: str, element: etree._Element) -> str:
    """Where an element is: its line, and in a file written on one line (or two: a declaration
    and the rest, as qc and others write) the element itself, since "line 1" says nothing there."""
    where = f"{source} line {element.sourceline}"
    line = element.sourceline
    if isinstance(line, int) and line <= 2 and isinstance(element.tag, str):
        tag = etree.QName(element).localname
        label = element.get("name") or element.get("guid") or ""
        where += f", element <{tag}" + (f" {label!r}" if label else "") + ">"
    return where


def code_entries(codes: etree._Element | None, source: str) -> list[CodeEntry]:
    """Entries for the nested ``Code`` elements under ``Codes`` (namespace already stripped)."""
    entries: list[CodeEntry] = []
    seen: dict[str, str] = {}
    if codes is None:
        return entries

    def walk(element: etree._Element, parent: CodeEntry | None) -> None:
        where = _line(source, element)
        guid = refi.normalize_guid(element.get("guid"), f"{where}, Code attribute 'guid'")
        if guid in seen:
            raise QcoderError(f"{where}: code GUID {guid} is used twice (also at {seen[guid]})")
        seen[guid] = where
        name = visible((element.get("name") or "").strip())  # a control character is shown, never sent
        if not name:
            raise QcoderError(f"{where}, Code attribute 'name': empty")
        description = element.find("Description")
        entry = CodeEntry(
            key=guid,
            guid=guid,
            name=name,
            where=where,
            parent_key=parent.key if parent else None,
            definition=(description.text or "").strip() if description is not None else "",
            colour=refi.normalize_colour(element.get("color"), f"{where}, Code attribute 'color'"),
        )
        entries.append(entry)
        for child in element.findall("Code"):
            walk(child, entry)

    for element in codes.findall("Code"):
        walk(element, None)
    _split_flat_names(entries)
    return entries


def _split_flat_names(entries: list[CodeEntry]) -> None:
    """Turn top-level ``A::B`` names into B under A, inventing A when the file lacks it."""
    by_path = {e.name: e for e in entries if e.parent_key is None}
    for entry in list(entries):
        if entry.parent_key is not None or refi.FLAT_PATH_SEPARATOR not in entry.name:
            continue
        parts = [part.strip() for part in entry.name.split(refi.FLAT_PATH_SEPARATOR)]
        if not all(parts):
            continue  # "a::" is a name, not a path
        parent: CodeEntry | None = None
        for depth in range(1, len(parts)):
            path = refi.FLAT_PATH_SEPARATOR.join(parts[:depth])
            ancestor = by_path.get(path)
            if ancestor is None:
                ancestor = CodeEntry(
                    key=f"path:{path}",
                    guid=refi.stable_guid("implied-code", path),
                    name=parts[depth - 1],
                    where=f"{entry.where} (implied by {entry.name!r})",
                    parent_key=parent.key if parent else None,
                    implied=True,
                )
                entries.insert(entries.index(entry), ancestor)
                by_path[path] = ancestor
            parent = ancestor
        entry.name = parts[-1]
        entry.parent_key = parent.key if parent else None


def level_sets(sets: etree._Element | None, entries: list[CodeEntry], source: str) -> list[str]:
    """Apply qcoder level Sets to the entries; returns notes on the other Sets (ignored)."""
    if sets is None:
        return []
    by_guid = {e.guid: e for e in entries if e.guid}
    ignored: list[str] = []
    for element in sets.findall("Set"):
        description = element.find("Description")
        level = refi.level_of_set(element.get("name"), description.text if description is not None else None)
        if level is None:
            if element.findall("MemberCode") and not _is_qcoder_marker(description):
                ignored.append(element.get("name") or "?")
            continue
        for member in element.findall("MemberCode"):
            where = _line(source, member)
            guid = refi.normalize_guid(member.get("guid") or member.get("targetGUID"), f"{where}, MemberCode GUID")
            entry = by_guid.get(guid)
            if entry is None:
                raise QcoderError(
                    f"{where}: level set {element.get('name')!r} names code {guid}, which is not in the file"
                )
            entry.level = level
    if not ignored:
        return []
    shown = ", ".join(repr(name) for name in ignored[:5]) + (" …" if len(ignored) > 5 else "")
    return [f"{len(ignored)} code group(s) (Sets) kept out: {shown}; qcoder has no code groups"]


def _is_qcoder_marker(description: etree._Element | None) -> bool:
    return description is not None and (description.text or "").strip().startswith("qcoder:")


def parse_qdc(data: bytes, *, source: str) -> ParsedCodebook:
    """A REFI-QDA codebook, or the codebook of a project file (``.qde``)."""
    root = refi_root(data, what=source, roots=("CodeBook", "Project"), max_bytes=MAX_CODEBOOK_BYTES * 10)
    if root.tag == "Project":
        book = root.find("CodeBook")
        codes = book.find("Codes") if book is not None else None
    else:
        codes = root.find("Codes")
    if codes is None or codes.find("Code") is None:
        raise QcoderError(f"{source}: no <Codes> with at least one <Code>; nothing to import")
    entries = code_entries(codes, source)
    notes = level_sets(root.find("Sets"), entries, source)
    return ParsedCodebook(source=source, entries=entries, notes=notes)


# ---------------------------------------------------------------------------------------
# CSV and JSON
# ---------------------------------------------------------------------------------------

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "code", "code name", "code_name", "tag", "title", "名称", "代码", "编码"),
    "path": ("path", "full path", "full_path", "hierarchy", "路径"),
    "level": ("level", "level_key", "level key", "level_name", "level name", "层级", "级别"),
    "parent": ("parent", "parent name", "parent_name", "父级", "上级"),
    "parent_guid": ("parent_guid", "parent guid", "parentguid"),
    "guid": ("guid", "id", "uuid"),
    "definition": ("description", "definition", "memo", "定义", "描述", "说明"),
    "colour": ("colour", "color", "颜色"),
}


def _canonical(header: str) -> str | None:
    folded = " ".join(header.strip().lstrip("\ufeff").lower().split())
    for canonical, aliases in _ALIASES.items():
        if folded in aliases or folded.replace(" ", "_") in aliases:
            return canonical
    return None


def _entries_from_records(records: Iterable[tuple[str, dict[str, Any]]], source: str) -> ParsedCodebook:
    """Shared by CSV and JSON: each record is (where, canonical field → value)."""
    entries: list[CodeEntry] = []
    paths: dict[str, str] = {}
    parents: dict[str, tuple[str | None, str | None]] = {}
    for where, record in records:

        def text(name: str, record: dict[str, Any] = record) -> str:
            value = record.get(name)
            return "" if value is None else str(value).strip()

        path = visible(text("path"))
        parts = [part.strip() for part in text("name").split(refi.FLAT_PATH_SEPARATOR)]
        if not path and len(parts) > 1 and all(parts):  # Taguette's 'tag' and ATLAS.ti's names: parent::child
            path = refi.FLAT_PATH_SEPARATOR.join(parts)
            record = {**record, "name": parts[-1]}
        name = visible(text("name", record)) or (path.split(refi.FLAT_PATH_SEPARATOR)[-1].strip() if path else "")
        if not name:
            raise QcoderError(f"{where}, field 'name': empty (every code needs a name)")
        path = path or name
        guid = refi.normalize_guid(text("guid"), f"{where}, field 'guid'") if text("guid") else None
        level: int | str | None = None
        if isinstance(record.get("level"), int) and not isinstance(record.get("level"), bool):
            level = record["level"]
        elif text("level"):
            level = int(text("level")) if text("level").isdigit() else text("level")
        nested = refi.FLAT_PATH_SEPARATOR in path
        entry = CodeEntry(
            key=guid or f"path:{path}",
            guid=guid,
            name=name,
            where=where,
            level=level,
            definition=text("definition"),
            colour=refi.normalize_colour(text("colour"), f"{where}, field 'colour'"),
            parent_known="parent" in record or "parent_guid" in record or nested,
        )
        if entry.key in paths:
            earlier = next(e for e in entries if e.key == entry.key)
            raise QcoderError(f"{where}: code {name!r} appears twice (also at {earlier.where})")
        parent_guid = (
            refi.normalize_guid(text("parent_guid"), f"{where}, field 'parent_guid'") if text("parent_guid") else None
        )
        parent_path = path.rsplit(refi.FLAT_PATH_SEPARATOR, 1)[0].strip() if nested else None
        parents[entry.key] = (parent_guid, text("parent") or parent_path)
        paths[entry.key] = path
        entries.append(entry)
    keys = {entry.key: entry for entry in entries}
    by_path = {paths[entry.key]: entry for entry in entries}
    for entry in entries:
        parent_guid, parent_name = parents[entry.key]
        if parent_guid:
            if parent_guid in keys:
                entry.parent_key = parent_guid
            else:
                entry.parent_ref = parent_guid
        elif parent_name:
            target = by_path.get(parent_name) or _unique([e for e in entries if e.name == parent_name], entry)
            if target is not None:
                entry.parent_key = target.key
            else:
                entry.parent_ref = parent_name
    return ParsedCodebook(source=source, entries=entries)


def _unique(candidates: list[CodeEntry], child: CodeEntry) -> CodeEntry | None:
    others = [c for c in candidates if c is not child]
    if len(others) > 1:
        raise QcoderError(
            f"{child.where}, field 'parent': {others[0].name!r} names {len(others)} codes in the file; "
            "give the parent's GUID in 'parent_guid'"
        )
    return others[0] if others else None


def _decode_text(data: bytes, source: str) -> str:
    from qcoder.corpus.decode import decode
    from qcoder.corpus.types import ImportRefused

    try:
        return decode(data, max_bytes=MAX_CODEBOOK_BYTES).text
    except ImportRefused as error:
        raise QcoderError(f"{source}: {error}") from None


def parse_csv(data: bytes, *, source: str) -> ParsedCodebook:
    text = _decode_text(data, source).lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise QcoderError(f"{source}: empty file; nothing to import") from None
    columns = [_canonical(h) for h in header]
    if "name" not in columns and "path" not in columns:
        raise QcoderError(
            f"{source} row 1: no 'name' (or 'code', 'tag', 'path') column; found {', '.join(map(repr, header))}"
        )

    def records() -> Iterable[tuple[str, dict[str, Any]]]:
        for number, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns) :]):
                raise QcoderError(f"{source} row {number}: {len(row)} fields but the header has {len(columns)}")
            record: dict[str, Any] = {col: "" for col in columns if col is not None}
            for col, cell in zip(columns, row):
                if col is not None and not record[col]:
                    record[col] = csv_value(cell)  # the first non-empty of aliased columns wins; '=x is =x
            yield f"{source} row {number}", record

    try:
        return _entries_from_records(list(records()), source)
    except csv.Error as error:
        raise QcoderError(f"{source} row {reader.line_num}: {error}") from None


def parse_json(data: bytes, *, source: str) -> ParsedCodebook:
    try:
        document = json.loads(_decode_text(data, source))
    except ValueError as error:
        raise QcoderError(f"{source}: not valid JSON ({error})") from None
    codes = document.get("codes") if isinstance(document, dict) else document
    if not isinstance(codes, list):
        raise QcoderError(f"{source}: expected a list of codes or an object with a 'codes' list")

    def records() -> Iterable[tuple[str, dict[str, Any]]]:
        for index, item in enumerate(codes):
            where = f"{source} codes[{index}]"
            if not isinstance(item, dict):
                raise QcoderError(f"{where}: expected an object with 'name', got {type(item).__name__}")
            record: dict[str, Any] = {}
            for key, value in item.items():
                canonical = _canonical(str(key))
                if canonical is not None and canonical not in record:
                    record[canonical] = value
            yield where, record

    return _entries_from_records(list(records()), source)


def read_codebook(path: Path) -> ParsedCodebook:
    """Parse a codebook file by its suffix: .qdc/.xml/.qde, .qdpx (its codebook), .csv, .json."""
    suffix = path.suffix.lower()
    if suffix == ".qdpx":
        from qcoder.exchange.package import read_package

        package = read_package(path)
        return parse_qdc(package.qde, source=f"{path.name}:{package.qde_name}")
    readers = {
        ".qdc": parse_qdc,
        ".xml": parse_qdc,
        ".qde": parse_qdc,
        ".csv": parse_csv,
        ".tsv": parse_csv,
        ".json": parse_json,
    }
    if suffix not in readers:
        raise QcoderError(f"cannot read codebooks from '{suffix or path.name}' files; use .qdc, .qdpx, .csv or .json")
    size = file_size(path)
    if size > MAX_CODEBOOK_BYTES * (10 if suffix in (".qde", ".xml") else 1):
        raise QcoderError(f"{path.name} is {size / 1e6:.0f} MB; a codebook file is never that large, refused")
    return readers[suffix](file_bytes(path), source=path.name)
