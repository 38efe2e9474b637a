"""Subtitles (.srt via `srt`, .vtt via `webvtt-py`) → speaker turns with their time.

A recorder or speech recognition writes one cue every few seconds, often in the middle of a sentence.
Cues are therefore joined: consecutive cues of one speaker form a turn, cut into blocks only where a
cue ends a sentence (so a statement never spans two speakers and never loses its words to a cue
boundary); in a file without any final punctuation (speech recognition) each cue is a block. Each block carries the speaker and the start time (HH:MM:SS) of its first cue. Speakers come
from WebVTT voice tags (`<v 张三>`) or a `Name:` / `Name：` label at the start of a cue (the label is
listed as removed); a cue without a label continues the turn before it. Styling tags (`<i>`, `<b>`,
`<font>`) are markup, not text.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.decode import decode
from qcoder.corpus.readers._text import glue, report, tidy, visible
from qcoder.corpus.transcript import turn_start
from qcoder.corpus.types import ImportRefused, PipelineOptions

_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[^<>]*>|\{\\[^{}]*\}")  # <i> <b> <font ...> and ASS-style {\an8} overrides
_FINAL = ("。", "！", "？", "!", "?", "…", ".", "”", "」", "』", "）")


@dataclass
class Cue:
    start: float  # seconds
    text: str  # tags removed, lines joined
    voice: str = ""  # <v Name> in WebVTT


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _lines(text: str) -> str:
    out = ""
    for line in _TAG.sub("", text).splitlines():
        out = glue(out, line.strip())
    return tidy(out)


def _srt_cues(text: str) -> list[Cue]:
    import srt

    try:
        subtitles = list(srt.parse(text, ignore_errors=False))
    except (srt.SRTParseError, ValueError) as exc:
        raise ImportRefused(
            f"this is not a valid .srt subtitle file ({exc}); check its cue numbers and times"
        ) from None
    return [Cue(s.start.total_seconds(), _lines(s.content)) for s in subtitles]


def _vtt_cues(text: str) -> list[Cue]:
    import webvtt
    from webvtt.errors import MalformedFileError

    try:
        captions = webvtt.from_buffer(io.StringIO(text))
    except MalformedFileError as exc:
        raise ImportRefused(f"this is not a valid .vtt subtitle file ({exc}); it must start with WEBVTT") from None
    cues = []
    for c in captions.captions:
        start = dt.datetime.strptime(c.start, "%H:%M:%S.%f")
        seconds = start.hour * 3600 + start.minute * 60 + start.second + start.microsecond / 1e6
        cues.append(Cue(seconds, _lines(c.raw_text), (getattr(c, "voice", None) or "").strip()))
    return cues


def _blocks(cues: list[Cue]) -> tuple[list[Block], list[str], bool]:
    """Blocks of joined cues, the speaker labels removed, and whether the file names speakers."""
    labels: list[str] = []
    named: list[tuple[Cue, str, str]] = []  # cue, speaker, text without label
    for cue in cues:
        speaker, text = cue.voice, cue.text
        if not speaker:
            turn = turn_start(text, known_only=False)
            if turn is not None and turn.speaker and turn.rest.strip():
                speaker, text = turn.speaker, turn.rest.strip()
                labels.append(turn.label.strip())
        named.append((cue, speaker, text))
    has_speakers = any(speaker for _, speaker, _ in named)
    # Speech recognition often writes no punctuation at all: then no cue can be known to end a sentence,
    # and joining until one does would make each turn a single statement; each cue is a unit instead.
    punctuated = any(mark in cue.text for cue in cues for mark in _FINAL)
    blocks: list[Block] = []
    current: list[str] = []
    first: Cue | None = None
    who = ""

    def flush() -> None:
        text = ""
        for piece in current:
            text = glue(text, piece)
        if text and first is not None:
            attributes = {"time": _clock(first.start)}
            if who:
                attributes["speaker"] = who
            blocks.append(Block(text, kind="turn" if has_speakers else "paragraph", attributes=attributes))
        current.clear()

    for cue, speaker, text in named:
        speaker = speaker or who  # a cue without a label continues the turn
        if current and (speaker != who or current[-1].endswith(_FINAL) or not punctuated):
            flush()
        if not current:
            first = cue
        who = speaker
        if text:
            current.append(text)
    flush()
    return blocks, labels, has_speakers


def read_subtitles(raw: bytes, options: PipelineOptions = PipelineOptions(), *, vtt: bool) -> list[StructuredSource]:
    """One subtitle file → one structured source of turns."""
    decoded = decode(raw, max_bytes=options.max_bytes)
    text = decoded.text.lstrip("\ufeff")
    cues = _vtt_cues(text) if vtt else _srt_cues(text)
    if not any(c.text for c in cues):
        raise ImportRefused("the subtitle file has no cues with text; nothing to import")
    blocks, labels, has_speakers = _blocks(cues)
    speakers = sorted({b.attributes.get("speaker", "") for b in blocks} - {""})
    notes = [f"{len(cues)} cues joined into {len(blocks)} {'turns' if has_speakers else 'paragraphs'}"]
    if speakers:
        notes.append(f"speakers: {', '.join(speakers)}")
    removed = [report("speaker_labels", labels)] if labels else []
    kind = "vtt (webvtt-py)" if vtt else "srt (srt)"
    return [
        StructuredSource(
            blocks=blocks,
            reader=f"{kind}; {decoded.encoding}",
            encoding=decoded.encoding,
            removed=removed,
            notes=notes,
            read_chars=sum(visible(c.text) for c in cues),
        )
    ]


def read_srt(raw: bytes, options: PipelineOptions = PipelineOptions()) -> list[StructuredSource]:
    """SubRip (.srt)."""
    return read_subtitles(raw, options, vtt=False)


def read_vtt(raw: bytes, options: PipelineOptions = PipelineOptions()) -> list[StructuredSource]:
    """WebVTT (.vtt)."""
    return read_subtitles(raw, options, vtt=True)
