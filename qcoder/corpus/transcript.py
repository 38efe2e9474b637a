"""Plain text as blocks: interview transcripts with speaker turns, and one unit per line or paragraph.

A transcript line starts a turn with a speaker label (``访谈者：`` ``受访者：`` ``问：`` ``答：``
``Q:`` ``A:`` ``Interviewer:`` ``P1:`` ``主持人：``), maybe after a time stamp (``[00:01:23]``),
or is a recorder's header line (``说话人1 00:02:10``) whose utterance follows on the next lines.
Every block of a turn carries the speaker and time, so each statement cut from it does (not
only the first sentence), and a turn ends where the next label starts: a turn never spans two
speakers. The labels and time stamps are not statement text: they become attributes and are
listed as removed (``speaker_labels``), so the accounting still holds.

A text is taken for a transcript only when a known role label (问, 受访者, Interviewer ...)
or a recorder header starts a line and at least two lines start turns; a single ``摘要：`` or
``注：`` in a paper is not a turn. Other short labels (a name: ``陳：``, ``张老师：``) count as
speakers once the text is a transcript.

``units="lines"``: each non-empty line is one statement (Weibo posts, open answers without
final punctuation); ``units="paragraphs"``: each blank-line-separated block is one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.clean import normalize_newlines, ns
from qcoder.corpus.types import Decoded, PipelineOptions, StepReport

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_STAMP = re.compile(f"[ \\t\\u3000]*[\\[【(（]?(?P<time>{_TIME})[\\]】)）]?[ \\t\\u3000]*")
# Role labels that make a text a transcript (and the names of interviewers among them).
_ROLES = (
    r"访谈者|訪談者|采访者|採訪者|访问者|訪問者|访员|訪員|受访者|受訪者|被访者|被訪者|主持人|记者|記者|研究者|调查员|"
    r"问|問|答|Q|A|I|R|Interviewer|Interviewee|Moderator|Respondent|Participant\s?\d{0,3}|"
    r"受访者\s?[A-Z0-9甲乙丙丁一二三四五六七八九十]|受訪者\s?[A-Z0-9甲乙丙丁一二三四五六七八九十]|"
    r"[PRI]\d{1,3}|说话人\s?\d{1,3}|說話人\s?\d{1,3}|发言人\s?\d{1,3}|發言人\s?\d{1,3}|Speaker\s?\d{1,3}"
)
_ROLE = re.compile(f"(?:{_ROLES})", re.IGNORECASE)
_LABELLED = re.compile(
    r"(?P<speaker>[\u3400-\u9fff]{1,4}(?:\s?[A-Z0-9甲乙丙丁])?|[A-Za-z][A-Za-z0-9 ._'-]{0,19}?)[ \t]*(?:[:：](?!//))[ \t\u3000]*"
)
# A recorder's header: 说话人1 00:02:10 / 发言人2 01:02 / Speaker 1 00:00:05 on a line of its own.
_HEADER = re.compile(
    f"[ \\t\\u3000]*(?P<speaker>(?:说话人|說話人|发言人|發言人|Speaker|speaker)\\s?\\d{{1,3}})[ \\t]+"
    f"(?P<time>{_TIME})[ \\t]*$"
)
_INTERVIEWERS = frozenset(
    {
        "访谈者",
        "訪談者",
        "采访者",
        "採訪者",
        "访问者",
        "訪問者",
        "访员",
        "訪員",
        "主持人",
        "记者",
        "記者",
        "研究者",
        "调查员",
        "问",
        "問",
        "q",
        "i",
        "interviewer",
        "moderator",
    }
)
_NOT_SPEAKERS = frozenset({"http", "https", "ftp", "mailto", "注", "摘要", "关键词", "關鍵詞", "来源", "來源"})


def is_role(label: str) -> bool:
    """A label that names a role in an interview (问, 受访者, Interviewer, P1, 说话人2 ...)."""
    return _ROLE.fullmatch(label.strip()) is not None


def is_interviewer(speaker: str) -> bool:
    """The speaker asks the questions (访谈者, 问, Q, Interviewer, 主持人 ...)."""
    return speaker.strip().lower() in _INTERVIEWERS


@dataclass(frozen=True)
class Turn:
    """A line that starts a turn: the label text (removed), speaker, time and the utterance."""

    label: str  # what the line starts with: "[00:01:23] 访谈者："
    speaker: str
    time: str
    rest: str  # the utterance on the same line (may be empty: a header line)


def turn_start(line: str, *, known_only: bool = True) -> Turn | None:
    """The turn ``line`` starts, or None. ``known_only``: only role labels and headers count."""
    header = _HEADER.match(line)
    if header is not None:
        return Turn(line.strip(), header.group("speaker"), header.group("time"), "")
    stamp = _STAMP.match(line)
    at = stamp.end() if stamp else 0
    m = _LABELLED.match(line, at)
    if m is not None:
        speaker = m.group("speaker").strip()
        known = _ROLE.fullmatch(speaker) is not None
        generic = not known_only and len(speaker) <= 12 and speaker.lower() not in _NOT_SPEAKERS
        if (known or generic) and not speaker.isdigit():
            return Turn(line[: m.end()], speaker, stamp.group("time") if stamp else "", line[m.end() :])
    if stamp is not None and at < len(line.rstrip()) and stamp.group(0).strip().startswith(("[", "【", "(", "（")):
        return Turn(line[:at], "", stamp.group("time"), line[at:])
    return None


def find_turns(lines: list[str]) -> dict[int, Turn] | None:
    """Line index → the turn it starts, if the text is a transcript; else None."""
    known = {i: t for i, line in enumerate(lines) if (t := turn_start(line)) is not None}
    if not any(t.speaker for t in known.values()):
        return None
    turns = {}
    for i, line in enumerate(lines):
        turn = known.get(i) or turn_start(line, known_only=False)
        if turn is not None:
            turns[i] = turn
    return turns if len(turns) >= 2 else None


def text_sources(decoded: Decoded, options: PipelineOptions) -> list[StructuredSource] | None:
    """Plain text as blocks when it is a transcript or is imported by lines/paragraphs; else None
    (the text goes the plain-text path, cleaned as a whole)."""
    text, _report = normalize_newlines(decoded.text)
    text = text.replace("\f", "")
    lines = text.split("\n")
    if options.units == "lines":
        blocks = [Block(line.strip(), "line") for line in lines if line.strip()]
        return [_source(decoded, blocks, [], "one statement per line")]
    if options.units == "paragraphs":
        blocks = [Block(para.strip(), "line") for para in re.split(r"\n[ \t\u3000]*\n", text) if para.strip()]
        return [_source(decoded, blocks, [], "one statement per paragraph (blank-line-separated)")]
    turns = find_turns(lines)
    if turns is None:
        return None
    return [_transcript(decoded, lines, turns)]


def transcript_blocks(paragraphs: list[str]) -> tuple[list[Block | None], StepReport] | None:
    """Paragraphs (of a Word file) as turns, one entry per paragraph (None: only a label), if
    they are a transcript; the labels taken off are in the report."""
    turns = find_turns(paragraphs)
    if turns is None:
        return None
    labels = StepReport("speaker_labels")
    out: list[Block | None] = []
    current: dict[str, str] | None = None
    for i, paragraph in enumerate(paragraphs):
        turn = turns.get(i)
        if turn is None:
            out.append(Block(paragraph, "turn", attributes=dict(current)) if current is not None else Block(paragraph))
            continue
        current = {k: v for k, v in (("speaker", turn.speaker), ("time", turn.time)) if v}
        if ns(turn.label):
            labels.removed.append(turn.label.strip())
            labels.changes += 1
        out.append(Block(turn.rest, "turn", attributes=dict(current)) if turn.rest.strip() else None)
    return out, labels


def _turn_blocks(
    lines: list[str], turns: dict[int, Turn], *, blank_ends: bool, kind: str = "paragraph"
) -> tuple[list[Block], StepReport]:
    labels = StepReport("speaker_labels")
    blocks: list[Block] = []
    current: dict[str, str] | None = None  # the attributes of the turn being read
    pending: list[str] = []

    def flush() -> None:
        body = "\n".join(pending).strip()
        pending.clear()
        if body:
            blocks.append(Block(body, "turn", attributes=dict(current)) if current is not None else Block(body, kind))

    for i, line in enumerate(lines):
        turn = turns.get(i)
        if turn is not None:
            flush()
            current = {}
            if turn.speaker:
                current["speaker"] = turn.speaker
            if turn.time:
                current["time"] = turn.time
            if ns(turn.label):
                labels.removed.append(turn.label.strip())
                labels.changes += 1
            pending.append(turn.rest)
        elif not line.strip():
            if blank_ends or not blocks:
                flush()
        else:
            if not blank_ends:
                flush()
            pending.append(line)
    flush()
    return blocks, labels


def _transcript(decoded: Decoded, lines: list[str], turns: dict[int, Turn]) -> StructuredSource:
    blocks, labels = _turn_blocks(lines, turns, blank_ends=True)
    speakers = Counter(b.attributes.get("speaker", "") for b in blocks if b.kind == "turn")
    notes = ["transcript: " + ", ".join(f"{name or '(no speaker)'} {n} turns" for name, n in speakers.items())]
    return _source(decoded, blocks, [labels], "transcript (speaker turns)", notes)


def _source(
    decoded: Decoded, blocks: list[Block], removed: list[StepReport], what: str, notes: list[str] | None = None
) -> StructuredSource:
    return StructuredSource(
        blocks=blocks,
        reader=f"text: {what}",
        removed=removed,
        notes=list(notes or []),
        read_chars=len(ns(decoded.text)),
        encoding=decoded.encoding,
        furniture=True,
    )
