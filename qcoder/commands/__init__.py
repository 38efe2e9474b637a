"""CLI sub-command sets that register themselves on the main Typer app (see ``qcoder.cli``)."""
