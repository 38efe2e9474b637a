"""Readers of structured sources (PDF, Markdown, HTML, subtitles, spreadsheets).

Each reader turns a file's raw bytes into `StructuredSource`s (see `qcoder.corpus.blocks`): blocks that
already know their kind (heading, turn, list item ...) and statement attributes (page, speaker, time,
row), plus everything the reader left out, so the import accounting still holds.
"""
