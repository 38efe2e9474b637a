"""CLI sub-command sets (a face, above every engine layer) that register themselves on the main Typer app (see ``qcoder.cli``)."""
