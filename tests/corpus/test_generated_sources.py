"""Readers on sources written by other programs (srt.compose, webvtt-py, markdown-it-py, PyYAML).

The files in tests/data/sources/gen_* are made by ``make_generated.py``; ``generated.json`` is the
generators' own record of every cue, paragraph, list item and table row. Checked by an independent
count: the stored statements hold exactly those texts in order (nothing lost, nothing added, no
statement across two units), everything else the reader saw is listed as removed, and characters
read (counted from the generator's data) = kept + removed.
"""

from __future__ import annotations

import json
from itertools import accumulate
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qcoder.corpus.importer import import_path
from qcoder.corpus.pipeline import process
from qcoder.corpus.types import ProcessedDocument
from qcoder.store.database import Project
from qcoder.store.models import Document, Sentence

SOURCES = Path(__file__).parents[1] / "data" / "sources"
RECORD: dict[str, Any] = json.loads((SOURCES / "generated.json").read_text(encoding="utf-8"))


def _ns(text: str) -> str:
    return "".join(text.split())


def _doc(name: str) -> ProcessedDocument:
    return process((SOURCES / name).read_bytes(), filename=name)


def _removed(doc: ProcessedDocument) -> list[str]:
    return [item for report in doc.reports for item in report.removed]


def _owners(units: list[str], doc: ProcessedDocument | list[str]) -> list[list[int]]:
    """For each statement, the units (by index) its characters come from; asserts the statements
    hold exactly the units' text, in order."""
    statements = doc if isinstance(doc, list) else [doc.text[s.start : s.end] for s in doc.spans]
    assert "".join(_ns(s) for s in statements) == "".join(_ns(u) for u in units)  # nothing lost or added
    ends = list(accumulate(len(_ns(u)) for u in units))
    owners, at = [], 0
    for statement in statements:
        start, at = at, at + len(_ns(statement))
        owners.append([i for i, end in enumerate(ends) if end > start and end - len(_ns(units[i])) < at])
    return owners


def _accounting(doc: ProcessedDocument, read: int) -> None:
    kept = len(_ns(doc.text))
    removed = sum(len(_ns(item)) for item in _removed(doc))
    assert doc.read_chars == read == kept + removed


# ------------------------------------------------------------------------------- subtitles
@pytest.mark.parametrize("name", ["gen_interview.srt", "gen_asr.srt", "gen_focus.vtt"])
def test_every_cue_is_in_a_statement_of_its_speaker(name: str) -> None:
    cues = RECORD[name]["cues"]
    doc = _doc(name)
    owners = _owners([c["text"] for c in cues], doc)
    for span, mine in zip(doc.spans, owners, strict=True):
        speakers = {cues[i]["speaker"] for i in mine}
        assert speakers == {span.attributes["speaker"]}, "a statement spans two speakers"
        # its time is the start of a cue of the same turn, no later than the cue it starts in
        first = mine[0]
        turn_start = first
        while turn_start > 0 and cues[turn_start - 1]["speaker"] == cues[first]["speaker"]:
            turn_start -= 1
        allowed = {_clock(c["start"]) for c in cues[turn_start : first + 1]}
        assert span.attributes["time"] in allowed
    # every speaker the generator wrote is found; each turn starts a new statement
    assert {s.attributes["speaker"] for s in doc.spans} == {c["speaker"] for c in cues}
    turns = sum(1 for i, c in enumerate(cues) if i == 0 or cues[i - 1]["speaker"] != c["speaker"])
    assert sum(1 for i, mine in enumerate(owners) if i == 0 or owners[i - 1][-1] != mine[0]) >= turns
    # the labels written on the first cue of a turn are listed as removed, nothing else
    assert _removed(doc) == [c["label"] for c in cues if c["label"]]
    _accounting(doc, sum(len(_ns(c["label"] + c["text"])) for c in cues))
    # the generator wrote characters beyond the BMP (Extension B, emoji): the stream check above kept them
    assert any(ord(ch) > 0xFFFF for c in cues for ch in c["text"])


def test_speech_recognition_without_punctuation_gives_one_statement_per_cue() -> None:
    """No cue ends a sentence, so none can be joined safely: each cue is a statement with its own time
    (joining them made each turn one statement of up to a minute of speech)."""
    cues = RECORD["gen_asr.srt"]["cues"]
    doc = _doc("gen_asr.srt")
    got = [(doc.text[s.start : s.end], s.attributes["speaker"], s.attributes["time"]) for s in doc.spans]
    assert [(_ns(text), who, time) for text, who, time in got] == [
        (_ns(c["text"]), c["speaker"], _clock(c["start"])) for c in cues
    ]


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# ------------------------------------------------------------------------------- Markdown and HTML
@pytest.mark.parametrize("name", ["gen_report.html", "gen_notes.md"])
def test_every_paragraph_item_and_cell_is_a_statement_of_its_own(name: str) -> None:
    units = RECORD[name]["units"]
    doc = _doc(name)
    owners = _owners([u["text"] for u in units], doc)
    assert all(len(mine) == 1 for mine in owners), "a statement crosses two paragraphs, items or rows"
    for span, [i] in zip(doc.spans, owners, strict=True):
        unit, text = units[i], doc.text[span.start : span.end]
        # a heading only where the markup says so: a short paragraph without final punctuation is a statement
        assert span.kind == ("heading" if unit["kind"] == "heading" else "sentence"), (text, unit)
        if unit["kind"] == "table_row":
            assert text == " ".join(unit["cells"])  # one row, its cells kept apart
    # every unit gives at least one statement of its own
    assert sorted({i for [i] in owners}) == list(range(len(units)))


def test_html_rendered_by_markdown_it_keeps_the_title_as_attribute() -> None:
    record = RECORD["gen_report.html"]
    doc = _doc("gen_report.html")
    assert doc.document_attributes == {"title": record["title"]}
    assert _removed(doc) == [record["title"]]
    _accounting(doc, sum(len(_ns(u["text"])) for u in record["units"]) + len(_ns(record["title"])))
    assert [dict(s.attributes) for s in doc.spans if s.kind == "heading"] == [{"level": "1"}]


def test_markdown_front_matter_written_by_pyyaml_matches_pyyaml_reading_it() -> None:
    record = RECORD["gen_notes.md"]
    doc = _doc("gen_notes.md")
    expected = {
        key: "、".join(map(str, value)) if isinstance(value, list) else str(value)
        for key, value in record["front_matter"].items()
    }
    assert doc.document_attributes == expected
    assert _removed(doc) == [record["front_matter_text"].strip()]
    read = sum(len(_ns(u["text"])) for u in record["units"]) + len(_ns(record["front_matter_text"]))
    _accounting(doc, read)
    assert [s.attributes.get("level") for s in doc.spans if s.kind == "heading"] == ["2", "2"]


@pytest.mark.parametrize("name", ["gen_transcript.md", "gen_transcript.html"])
def test_a_transcript_saved_as_markdown_or_html_keeps_one_speaker_per_statement(name: str) -> None:
    """Turns written one per line (two per paragraph): each statement has the speaker of its line — before,
    the HTML reader joined the lines of a paragraph and four speakers became one statement, none named."""
    record = RECORD[name]
    turns = record["turns"]
    doc = _doc(name)
    owners = _owners([t["text"] for t in turns], doc)
    assert all(len(mine) == 1 for mine in owners), "a statement spans two turns"
    assert [turns[i]["speaker"] for [i] in owners] == [s.attributes.get("speaker") for s in doc.spans]
    assert sorted({i for [i] in owners}) == list(range(len(turns)))  # every turn is there
    labels = [t["label"].strip() for t in turns]
    extra = [record["title"]] if "title" in record else [record["front_matter_text"].strip()]
    assert sorted(_removed(doc)) == sorted(labels + extra)
    read = sum(len(_ns(t["label"] + t["text"])) for t in turns) + len(_ns(extra[0]))
    _accounting(doc, read)


# ------------------------------------------------------------------------------- stored
@pytest.mark.parametrize(
    "name",
    ["gen_interview.srt", "gen_asr.srt", "gen_focus.vtt", "gen_report.html", "gen_notes.md", "gen_transcript.html"],
)
def test_the_stored_statements_hold_every_unit(project: Project, name: str) -> None:
    """Through `qcoder import` into the project (both backends): the statements in the database hold
    every cue, paragraph, item and row the generator wrote, with the attributes the reader gave."""
    result = import_path(project, SOURCES / name)
    record = RECORD[name]
    key = next(k for k in ("cues", "turns", "units") if k in record)
    units = [u["text"] for u in record[key]]
    with project.session() as s:
        rows = s.execute(
            select(Sentence.text, Sentence.attributes)
            .join(Document, Document.id == Sentence.document_id)
            .where(Document.label == result.label)
            .order_by(Sentence.ordinal)
        ).all()
    owners = _owners(units, [text for text, _attributes in rows])
    assert len(owners) == result.statements == len(_doc(name).spans)
    if key != "units":
        cues = record[key]
        assert all(
            {cues[i]["speaker"] for i in mine} == {attributes["speaker"]}
            for (_t, attributes), mine in zip(rows, owners, strict=True)
        )
