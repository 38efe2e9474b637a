"""Coding bundles: a codebook with its codings, relations, memos and review marks in one JSON file.

A bundle carries a whole coded project *without* its documents, so it can ship beside a
corpus (the sample project under ``sample_corpus/coding/``) and be laid over any project
that imported the same files. Statements are referenced by document file name, statement
ID and the first characters of the statement's text::

    {"document": "003_5578165eb778e554.txt", "id": "D04-S017", "text_prefix": "因此,重大科技攻关和原"}

The document is found by file name, not by its ``D04`` label (labels follow import order);
the ID's ordinal is tried first and checked against the prefix; if a change of splitting
moved the statement, the document is searched for the prefix (nearest match wins). A
reference that matches nothing fails the whole load with one line naming it — loading is
one transaction, so nothing is half-applied. Codes are matched by (name, level) — and where
codes under different parents share a name, by their ``path`` (``Parent/Child``), which the
bundle then uses wherever it names such a code — relations
by (source, target, type), memos by (type, title, target), codings by (statement, code,
coder): loading a bundle twice adds nothing the second time.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import code_at, code_path, code_paths, create_code, matching_codes, update_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.memos import add_memo
from qcoder.coding.relations import add_relation, check_relation_type, find_relation
from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, Document, DocumentReview, Memo, Relation, Sentence

FORMAT = "qcoder-bundle"
VERSION = 1
PREFIX_LENGTH = 12
_ORDINAL = re.compile(r"S(\d+)$", re.IGNORECASE)


@dataclass
class BundleResult:
    """What a load changed; ``relocated`` lists references found by text, not by ID."""

    codes_created: int = 0
    codes_existing: int = 0
    relations_created: int = 0
    memos_created: int = 0
    codings_added: int = 0
    codings_existing: int = 0
    reviews_added: int = 0
    coders: list[str] = field(default_factory=list)
    relocated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (self.codes_created, self.relations_created, self.memos_created, self.codings_added, self.reviews_added)
        )

    def lines(self) -> list[str]:
        """A short summary for the CLI."""
        if not self.changed:
            return ["coding bundle already loaded: nothing to add"]
        lines = [
            f"loaded coding bundle: {self.codes_created} codes, {self.relations_created} relations, "
            f"{self.memos_created} memos, {self.codings_added} codings, {self.reviews_added} review marks "
            f"(coders: {', '.join(self.coders)})"
        ]
        if self.relocated:
            shown = ", ".join(self.relocated[:5]) + (" …" if len(self.relocated) > 5 else "")
            lines.append(f"{len(self.relocated)} statement references found by their text: {shown}")
        return lines


# ------------------------------------------------------------------ reading and checking
def read_bundle(path: str | Path) -> dict[str, Any]:
    """The bundle's JSON object; a missing or malformed file is a one-line error."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise QcoderError(f"no coding bundle at {file}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise QcoderError(f"cannot read coding bundle {file}: {error}") from error
    except json.JSONDecodeError as error:
        raise QcoderError(f"{file} is not valid JSON (line {error.lineno}: {error.msg})") from error
    check_bundle(data, str(file))
    return data


def _fail(where: str, message: str) -> QcoderError:
    return QcoderError(f"coding bundle {where}: {message}")


def _entries(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _fail(where, f"'{key}' must be a list of objects")
    return value


def _text(entry: dict[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(where, f"{key!r} must be a non-empty string in {_short(entry)}")
    return value


def _level(entry: dict[str, Any], key: str, where: str) -> int:
    value = entry.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _fail(where, f"{key!r} must be a level number (0 = concept) in {_short(entry)}")
    return value


def _short(entry: Any) -> str:
    text = json.dumps(entry, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def check_bundle(data: Any, where: str = "") -> None:
    """Shape checks done before touching the database, so errors name the entry at fault."""
    where = where or "data"
    if not isinstance(data, dict):
        raise _fail(where, "the file must hold one JSON object")
    if data.get("format", FORMAT) != FORMAT:
        raise _fail(where, f"format is {data.get('format')!r}, not {FORMAT!r}")
    version = data.get("version", VERSION)
    if not isinstance(version, int) or version > VERSION:
        raise _fail(where, f"version {version!r} is newer than this qcoder reads ({VERSION}); upgrade qcoder")
    seen: set[tuple[str, int]] = set()
    for entry in _entries(data, "codes", where):
        name = " ".join(_text(entry, "name", where).split())
        if entry.get("path") is not None:
            name = _text(entry, "path", where)
        key = (name, _level(entry, "level", where))
        if key in seen:
            raise _fail(where, f"code {key[0]!r} appears twice at level {key[1]}")
        seen.add(key)
        if entry.get("parent") is not None:
            _text(entry, "parent", where)
        if entry.get("exemplar") is not None:
            _check_ref(entry["exemplar"], where)
    for entry in _entries(data, "relations", where):
        _text(entry, "source", where), _text(entry, "target", where), _text(entry, "type", where)
    for entry in _entries(data, "memos", where):
        _text(entry, "text", where)
        target = entry.get("target", "project")
        if target not in ("project", "code", "document", "statement", "relation"):
            raise _fail(where, f"memo target {target!r} unknown in {_short(entry)}")
    for entry in _entries(data, "codings", where):
        _check_ref(entry.get("statement"), where)
        _text(entry, "code", where), _level(entry, "level", where), _text(entry, "coder", where)
    for entry in _entries(data, "reviews", where):
        _text(entry, "coder", where), _text(entry, "document", where)


def _check_ref(ref: Any, where: str) -> None:
    if not isinstance(ref, dict):
        raise _fail(where, f"a statement reference must be an object, not {_short(ref)}")
    _text(ref, "document", where)
    if not _ORDINAL.search(_text(ref, "id", where)):
        raise _fail(where, f"statement ID {ref['id']!r} is not like D04-S017")
    if not isinstance(ref.get("text_prefix", ""), str):
        raise _fail(where, f"text_prefix must be a string in {_short(ref)}")


# ------------------------------------------------------------------ resolving references
def _squeeze(text: str) -> str:
    """Text compared without spaces and with full/half-width forms folded (NFKC), so a
    re-import that only changed spacing or punctuation width still finds the statement."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _file_name(document: Document) -> str:
    return PurePath(document.source_path).name if document.source_path else document.name


class _Statements:
    """Statement references → sentences, reading each document's statements once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.documents = list(session.scalars(select(Document).order_by(Document.id)))
        self._by_name: dict[str, Document] = {}
        self._sentences: dict[int, list[Sentence]] = {}
        self.relocated: list[str] = []

    def document(self, name: str) -> Document:
        if name in self._by_name:
            return self._by_name[name]
        stem = PurePath(name).stem
        exact = [d for d in self.documents if d.source_path and PurePath(d.source_path).name == name]
        found = exact or [d for d in self.documents if d.name in (name, stem)]
        if not found:
            raise QcoderError(
                f"coding bundle refers to document {name!r}, which this project has not imported; import it first"
            )
        if len(found) > 1:
            labels = ", ".join(d.label for d in found)
            raise QcoderError(
                f"coding bundle document {name!r} matches several documents ({labels}); cannot tell which"
            )
        self._by_name[name] = found[0]
        return found[0]

    def _of(self, document: Document) -> list[Sentence]:
        if document.id not in self._sentences:
            self._sentences[document.id] = list(
                self.session.scalars(
                    select(Sentence).where(Sentence.document_id == document.id).order_by(Sentence.ordinal)
                )
            )
        return self._sentences[document.id]

    def resolve(self, ref: dict[str, Any]) -> Sentence:
        document = self.document(ref["document"])
        match = _ORDINAL.search(ref["id"])
        assert match is not None  # checked by check_bundle
        ordinal = int(match.group(1))
        prefix = _squeeze(ref.get("text_prefix", ""))
        sentences = self._of(document)
        at_id = next((s for s in sentences if s.ordinal == ordinal), None)
        if at_id is not None and _squeeze(at_id.text).startswith(prefix):
            return at_id
        if prefix:
            candidates = [s for s in sentences if _squeeze(s.text).startswith(prefix)]
            candidates = candidates or [s for s in sentences if prefix in _squeeze(s.text)]
            if candidates:
                found = min(candidates, key=lambda s: (abs(s.ordinal - ordinal), s.ordinal))
                self.relocated.append(f"{ref['id']}→{found.label}")
                return found
        shown = ref.get("text_prefix", "")
        raise QcoderError(
            f"coding bundle statement {ref['document']} {ref['id']} (“{shown}”) not found in {document.label}: "
            "no statement there has that text (imported with other options, e.g. without Traditional→Simplified?)"
        )


class _Codes:
    """Codes by (name or path, level), creating the bundle's codes top-down so parents come first."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, int | None], Code] = {}

    def existing(self, entry: dict[str, Any], bundle_levels: dict[str, list[int]]) -> Code | None:
        """The project's code this bundle code is: the only one of its name at its level, else
        the one of that name under the bundle's parent (names are unique per parent)."""
        name, level = " ".join(entry["name"].split()), entry["level"]
        if not entry.get("path"):
            named = list(self.session.scalars(select(Code).where(Code.name == name, Code.level == level)))
            if len(named) == 1:
                return named[0]
            if not named:
                return None
        parent = self.parent(entry, bundle_levels)
        return code_at(self.session, name, level, parent_id=parent.id if parent is not None else None)

    def need(self, name: str, level: int | None, what: str) -> Code:
        """The code a name or path names at this level; without a level, the only code it names."""
        key = ("/".join(" ".join(part.split()) for part in name.split("/")), level)
        if key in self._cache:
            return self._cache[key]
        matches = matching_codes(self.session, key[0], level)
        if len(matches) > 1:
            paths = ", ".join(repr(p) for p in sorted({code_path(self.session, c) for c in matches}))
            raise QcoderError(
                f"coding bundle {what} refers to code {name!r}, which names several codes ({paths}); "
                "give its path or level"
            )
        if not matches:
            at = "" if level is None else f" at level {level}"
            raise QcoderError(
                f"coding bundle {what} refers to code {name!r}{at}, which is neither in the bundle nor in the project"
            )
        self._cache[key] = matches[0]
        return matches[0]

    def parent(self, entry: dict[str, Any], bundle_levels: dict[str, list[int]]) -> Code | None:
        name = entry.get("parent")
        if not name:
            return None
        level = entry["level"]
        if isinstance(entry.get("parent_level"), int):
            return self.need(name, entry["parent_level"], f"code {entry['name']!r}")
        above = sorted(lv for lv in bundle_levels.get(" ".join(name.split()), []) if lv > level)
        if above:
            return self.need(name, above[0], f"code {entry['name']!r}")
        higher = sorted((c for c in matching_codes(self.session, name) if c.level > level), key=lambda c: c.level)
        if not higher:
            raise QcoderError(
                f"coding bundle code {entry['name']!r} has parent {name!r}, "
                "which is not a higher-level code in the bundle or the project"
            )
        return higher[0]

    def remember(self, code: Code, key: str) -> None:
        self._cache[(key, code.level)] = code


# ------------------------------------------------------------------ applying
def apply_bundle(session: Session, data: dict[str, Any]) -> BundleResult:
    """Lay a checked bundle over the project in the caller's transaction (see module doc)."""
    check_bundle(data)
    result = BundleResult()
    statements = _Statements(session)
    codes = _Codes(session)
    coders: dict[str, Coder] = {}

    def coder(name: str | None) -> Coder | None:
        if not name:
            return None
        if name not in coders:
            coders[name] = get_or_create_coder(session, name)
        return coders[name]

    # Resolve every statement reference before writing, so a bad one fails fast.
    code_entries = _entries(data, "codes", "data")
    exemplars = {(_key(e), e["level"]): statements.resolve(e["exemplar"]) for e in code_entries if e.get("exemplar")}
    coding_entries = _entries(data, "codings", "data")
    coded = [statements.resolve(entry["statement"]) for entry in coding_entries]
    for entry in _entries(data, "reviews", "data"):
        statements.document(entry["document"])

    for name in data.get("coders", []):
        if isinstance(name, str):
            coder(name)

    bundle_levels: dict[str, list[int]] = defaultdict(list)
    for entry in code_entries:
        bundle_levels[_key(entry)].append(entry["level"])
    for entry in sorted(code_entries, key=lambda e: -e["level"]):
        existing = codes.existing(entry, bundle_levels)
        if existing is not None:
            codes.remember(existing, _key(entry))
            result.codes_existing += 1
            continue
        code = create_code(
            session,
            entry["name"],
            level=entry["level"],
            parent=codes.parent(entry, bundle_levels),
            definition=entry.get("definition") or "",
            colour=entry.get("colour"),
            coder=coder(entry.get("created_by")),
        )
        exemplar = exemplars.get((_key(entry), entry["level"]))
        if exemplar is not None:
            update_code(session, code, exemplar_sentence_id=exemplar.id)
        codes.remember(code, _key(entry))
        result.codes_created += 1

    for entry in _entries(data, "relations", "data"):
        what = f"relation {entry['source']} → {entry['target']}"
        source = codes.need(entry["source"], _optional_level(entry, "source_level"), what)
        target = codes.need(entry["target"], _optional_level(entry, "target_level"), what)
        type_ = check_relation_type(session, entry["type"])
        if find_relation(session, source.id, target.id, type_) is None:
            add_relation(session, source, target, type_, entry.get("note") or "", coder=coder(entry.get("coder")))
            result.relations_created += 1

    for entry in _entries(data, "memos", "data"):
        memo_target, target_id = _memo_target(session, entry, codes, statements)
        type_ = entry.get("type") or "theoretical"
        title = entry.get("title") or ""
        if not _memo_exists(session, type_, title, entry["text"], memo_target, target_id):
            add_memo(
                session,
                entry["text"],
                type_=type_,
                target=memo_target,
                target_id=target_id,
                title=title,
                coder=coder(entry.get("coder")),
            )
            result.memos_created += 1

    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    quotes: dict[tuple[int, int], dict[int, tuple[int, int] | None]] = defaultdict(dict)
    for entry, sentence in zip(coding_entries, coded):
        code = codes.need(entry["code"], entry["level"], f"coding of {entry['statement']['id']}")
        who = coder(entry["coder"])
        assert who is not None
        groups[(code.id, who.id)].append(sentence.id)
        quote = entry.get("quote")  # optional: [start, end) code points inside the statement
        if isinstance(quote, list) and len(quote) == 2 and all(isinstance(q, int) for q in quote):
            quotes[(code.id, who.id)][sentence.id] = (quote[0], quote[1])
    for (code_id, coder_id), sentence_ids in groups.items():
        wanted = list(dict.fromkeys(sentence_ids))
        added = add_codings(session, wanted, code_id, coder_id, quotes=quotes.get((code_id, coder_id)))
        result.codings_added += len(added)
        result.codings_existing += len(wanted) - len(added)

    for entry in _entries(data, "reviews", "data"):
        who = coder(entry["coder"])
        assert who is not None
        if mark_reviewed(session, statements.document(entry["document"]).id, who.id):
            result.reviews_added += 1

    session.flush()
    result.coders = sorted(coders)
    result.relocated = list(dict.fromkeys(statements.relocated))
    return result


def _optional_level(entry: dict[str, Any], key: str) -> int | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise QcoderError(f"coding bundle: {key!r} must be a level number in {_short(entry)}")
    return value


def _memo_target(
    session: Session, entry: dict[str, Any], codes: _Codes, statements: _Statements
) -> tuple[str, int | None]:
    target = entry.get("target", "project")
    if target == "project":
        return "project", None
    if target == "code":
        return "code", codes.need(entry.get("code", ""), _optional_level(entry, "level"), "memo").id
    if target == "document":
        return "document", statements.document(entry.get("document", "")).id
    if target == "statement":
        return "sentence", statements.resolve(entry["statement"]).id
    spec = entry.get("relation") or {}
    what = "memo on a relation"
    source = codes.need(spec.get("source", ""), _optional_level(spec, "source_level"), what)
    target_code = codes.need(spec.get("target", ""), _optional_level(spec, "target_level"), what)
    relation = find_relation(session, source.id, target_code.id, check_relation_type(session, spec.get("type", "")))
    if relation is None:
        raise QcoderError(f"coding bundle memo on relation {source.name} → {target_code.name}: no such relation")
    return "relation", relation.id


def _memo_exists(session: Session, type_: str, title: str, text: str, target: str, target_id: int | None) -> bool:
    query = select(Memo.id).where(Memo.type == type_)
    query = query.where(Memo.title == title) if title else query.where(Memo.text == text)
    columns = {
        "document": Memo.document_id,
        "sentence": Memo.sentence_id,
        "code": Memo.code_id,
        "relation": Memo.relation_id,
    }
    for name, column in columns.items():
        query = query.where(column == target_id) if name == target else query.where(column.is_(None))
    return session.scalar(query.limit(1)) is not None


def _key(entry: dict[str, Any]) -> str:
    """How the bundle names a code: its path where codes share its name, else its name."""
    return str(entry.get("path") or " ".join(entry["name"].split()))


def load_bundle(project: Project, path: str | Path) -> BundleResult:
    """Read a bundle file and apply it in one transaction: all of it or, on any error, none."""
    data = read_bundle(path)
    return project.run(lambda session: apply_bundle(session, data))


# ------------------------------------------------------------------ writing
def _ref(sentence: Sentence, document: Document) -> dict[str, str]:
    return {"document": _file_name(document), "id": sentence.label, "text_prefix": sentence.text[:PREFIX_LENGTH]}


def dump_bundle(project: Project) -> dict[str, Any]:
    """The project's codebook, relations, memos, codings and reviews as a bundle ``load_bundle`` reads."""
    with project.session() as session:
        codes = {c.id: c for c in session.scalars(select(Code))}
        paths = code_paths(session)
        counts: dict[tuple[str, int], int] = defaultdict(int)
        for c in codes.values():
            counts[(c.name, c.level)] += 1

        def named(code_id: int) -> str:  # a name other codes share at its level travels as the code's path
            code = codes[code_id]
            return paths[code_id] if counts[(code.name, code.level)] > 1 else code.name

        coders = {c.id: c.name for c in session.scalars(select(Coder).order_by(Coder.id))}
        documents = {d.id: d for d in session.scalars(select(Document))}
        wanted_sentences = {c.exemplar_sentence_id for c in codes.values() if c.exemplar_sentence_id}
        wanted_sentences |= set(session.scalars(select(Memo.sentence_id).where(Memo.sentence_id.is_not(None))))
        sentences = (
            {s.id: s for s in session.scalars(select(Sentence).where(Sentence.id.in_(wanted_sentences)))}
            if wanted_sentences
            else {}
        )

        def ref(sentence_id: int) -> dict[str, str]:
            sentence = sentences[sentence_id]
            return _ref(sentence, documents[sentence.document_id])

        code_rows = []
        for code in sorted(codes.values(), key=lambda c: (-c.level, named(c.id))):
            row: dict[str, Any] = {"name": code.name, "level": code.level}
            if counts[(code.name, code.level)] > 1:
                row["path"] = paths[code.id]
            parent = codes.get(code.parent_id) if code.parent_id else None
            row["parent"] = named(parent.id) if parent else None
            if parent:
                row["parent_level"] = parent.level
            row["definition"] = code.definition
            if code.colour:
                row["colour"] = code.colour
            if code.exemplar_sentence_id in sentences:
                row["exemplar"] = ref(code.exemplar_sentence_id)
            code_rows.append(row)

        relations = list(session.scalars(select(Relation).order_by(Relation.id)))
        relation_rows = [
            {
                "source": named(r.source_id),
                "source_level": codes[r.source_id].level,
                "target": named(r.target_id),
                "target_level": codes[r.target_id].level,
                "type": r.type,
                "note": r.note,
                **({"coder": coders[r.coder_id]} if r.coder_id in coders else {}),
            }
            for r in relations
        ]
        relation_by_id = {r.id: r for r in relations}

        memo_rows = []
        for memo in session.scalars(select(Memo).order_by(Memo.created_at, Memo.id)):
            row = {"type": memo.type, "title": memo.title, "text": memo.text}
            if memo.code_id:
                row |= {"target": "code", "code": named(memo.code_id), "level": codes[memo.code_id].level}
            elif memo.document_id:
                row |= {"target": "document", "document": _file_name(documents[memo.document_id])}
            elif memo.sentence_id:
                row |= {"target": "statement", "statement": ref(memo.sentence_id)}
            elif memo.relation_id:
                r = relation_by_id[memo.relation_id]
                row |= {
                    "target": "relation",
                    "relation": {
                        "source": named(r.source_id),
                        "source_level": codes[r.source_id].level,
                        "target": named(r.target_id),
                        "target_level": codes[r.target_id].level,
                        "type": r.type,
                    },
                }
            else:
                row["target"] = "project"
            if memo.coder_id in coders:
                row["coder"] = coders[memo.coder_id]
            memo_rows.append(row)

        coding_rows = []
        query = (
            select(Coding.code_id, Coding.coder_id, Sentence, Document.label, Coding.quote_start, Coding.quote_end)
            .join(Sentence, Sentence.id == Coding.sentence_id)
            .join(Document, Document.id == Sentence.document_id)
        )
        rows = sorted(
            session.execute(query),
            key=lambda r: (coders[r[1]], r[3], r[2].ordinal, codes[r[0]].level, named(r[0])),
        )
        for code_id, coder_id, sentence, _label, quote_start, quote_end in rows:
            coding_row: dict[str, Any] = {
                "statement": _ref(sentence, documents[sentence.document_id]),
                "code": named(code_id),
                "level": codes[code_id].level,
                "coder": coders[coder_id],
            }
            if quote_start is not None:
                coding_row["quote"] = [quote_start, quote_end]
            coding_rows.append(coding_row)

        review_rows = [
            {"coder": coders[r.coder_id], "document": _file_name(documents[r.document_id])}
            for r in session.scalars(select(DocumentReview))
        ]
        review_rows.sort(key=lambda r: (r["coder"], r["document"]))

    return {
        "format": FORMAT,
        "version": VERSION,
        "coders": list(coders.values()),
        "codes": code_rows,
        "relations": relation_rows,
        "memos": memo_rows,
        "codings": coding_rows,
        "reviews": review_rows,
    }
