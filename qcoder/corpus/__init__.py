"""Corpus, above store: a file becomes a document of statements (decode, clean, split, tokenize, import, search)."""
