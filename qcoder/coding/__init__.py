"""Coding, above corpus: codes, codings, memos, relations, coders, the undo history, and the reads behind the workbench."""
