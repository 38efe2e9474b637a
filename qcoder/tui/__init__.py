"""The terminal workbench (a face, above every engine layer): the only package that imports Textual."""
