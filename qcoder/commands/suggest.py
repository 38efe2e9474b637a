"""CLI for similar statements and code suggestions: ``qcoder similar`` and ``qcoder suggest …``.

Everything runs on this machine from this project's own codings. Annotations are evaluated
eagerly (no ``from __future__ import annotations``): typer reads them. scikit-learn loads
only when a command runs, so ``qcoder --help`` stays fast.
"""

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from qcoder.commands.common import DbOption, FormatOption, project, state
from qcoder.errors import QcoderError

suggest_app = typer.Typer(
    help="Code suggestions learned from one coder's codings (local, reproducible, explained).", no_args_is_help=True
)

LearnFrom = Annotated[str, typer.Option("--coder", help="The coder whose codings the model learns from")]
SeedOption = Annotated[int | None, typer.Option("--seed", help="Random seed (default: the fixed project seed)")]
ThresholdOption = Annotated[
    float | None, typer.Option("--threshold", help="Probability from which a code counts as suggested (0-1)")
]


def _db(db: str | None) -> str | None:
    """The project to use: ``--db``, ``QCODER_DB``, the default project — or, when none of them
    exists yet, the demo project, so that ``qcoder demo`` then ``qcoder suggest evaluate`` works."""
    if db or state.db or os.environ.get("QCODER_DB"):
        return db
    from qcoder.demo import demo_project_path
    from qcoder.store.location import default_project_path

    demo = demo_project_path()
    if not default_project_path().exists() and demo.exists():
        typer.echo(f"(no default project yet: using the demo project {demo})", err=True)
        return str(demo)
    return db


def _settings(seed: int | None, threshold: float | None) -> Any:
    from dataclasses import replace

    from qcoder.coding.suggest_model import ModelSettings

    settings = ModelSettings()
    if seed is not None:
        settings = replace(settings, seed=seed)
    if threshold is not None:
        if not 0.0 < threshold < 1.0:
            raise QcoderError("--threshold is a probability between 0 and 1, e.g. 0.4")
        settings = replace(settings, threshold=threshold)
    return settings


def similar(
    statement: Annotated[str, typer.Argument(help="Statement ID, e.g. D04-S017")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many similar statements")] = 10,
    coder: Annotated[str | None, typer.Option("--coder", help="Show only this coder's codes on them")] = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """The statements most similar in wording to one statement, with their codes (constant comparison)."""
    from qcoder.coding.coders import find_coder
    from qcoder.coding.similar import similar_statements

    if fmt not in ("text", "json"):
        raise QcoderError(f"unknown format {fmt!r}; use text or json")
    if limit < 1:
        raise QcoderError("--limit takes a positive number")
    with project(_db(db), create=False) as opened, opened.session() as session:
        name = find_coder(session, coder).name if coder else None
        label, text, found = similar_statements(session, statement, limit=limit, coder=name)
    if fmt == "json":
        payload = {
            "statement": label,
            "text": text,
            "similar": [
                {"statement": s.label, "similarity": s.similarity, "text": s.text, "codes": [list(c) for c in s.codes]}
                for s in found
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"{label} {text}")
    if not found:
        typer.echo("no statement shares a word or a character pair with it")
    for item in found:
        typer.echo(f"  {item.similarity:.3f}  {item.label}  {item.text}")
        if item.codes:
            typer.echo("         " + "; ".join(f"{code} ({who})" for who, code in item.codes))


def show(
    statement: Annotated[str, typer.Argument(help="Statement ID, e.g. D04-S017")],
    coder: LearnFrom,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many codes")] = 3,
    seed: SeedOption = None,
    threshold: ThresholdOption = None,
    db: DbOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Suggested codes for one statement, with the words that drove each (nothing is coded)."""
    from qcoder.coding.statements import resolve_statements
    from qcoder.coding.suggest_model import SuggestionModel, check_trainable, load_training

    if fmt not in ("text", "json"):
        raise QcoderError(f"unknown format {fmt!r}; use text or json")
    settings = _settings(seed, threshold)
    with project(_db(db), create=False) as opened, opened.session() as session:
        sentence = resolve_statements(session, [statement])[0]
        data = load_training(session, coder)
        check_trainable(data)
        model = SuggestionModel(settings).train(data)
        mine = {c for sid, labels in zip(data.sentence_ids, data.labels) if sid == sentence.id for c in labels}
        found = model.suggest(
            sentence.text, sentence.tokens or "", limit=limit, exclude=mine | data.rejected.get(sentence.id, set())
        )
        label, text = sentence.label, sentence.text
    if fmt == "json":
        typer.echo(json.dumps({"statement": label, "suggestions": [s.__dict__ for s in found]}, ensure_ascii=False))
        return
    typer.echo(f"{label} {text}")
    for s in found:
        mark = "*" if s.probability >= settings.threshold else " "
        typer.echo(f" {mark}{s.probability:.2f}  {s.code_name}  ← {', '.join(s.words) or '—'}")
    if not found:
        typer.echo("no suggestion: every code the model knows is on it already, or rejected")


def run(
    coder: LearnFrom,
    as_: Annotated[str, typer.Option("--as", help="The coder name the model's codings go under")] = "qcoder-model",
    seed: SeedOption = None,
    threshold: ThresholdOption = None,
    db: DbOption = None,
) -> None:
    """Write the model's codes as codings of a coder named for the model (then: qcoder agree --coders A,MODEL)."""
    from qcoder.coding.suggest_run import run_as_coder

    settings = _settings(seed, threshold)
    with project(_db(db), create=False) as opened:
        done = run_as_coder(opened, coder, as_, settings)
    typer.echo(
        f"{done.model_coder}: {done.codings} codings on {done.statements} statements of {done.documents} documents "
        f"(+{done.added} −{done.removed}), learned from {done.coder}'s codings "
        f"(training data {done.digest[:12]}, seed {settings.seed})"
    )
    typer.echo(f"compare: qcoder agree --coders {done.coder},{done.model_coder}")


def evaluate(
    coder: LearnFrom,
    seed: SeedOption = None,
    threshold: ThresholdOption = None,
    db: DbOption = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="text, md, csv, json, xlsx or docx (default: from -o, else text)")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file")] = None,
) -> None:
    """Leave-one-document-out replay: precision@1/@3, recall@3, κ and α of the model vs the coder, beside a baseline."""
    from qcoder.analysis.report import format_for_path
    from qcoder.analysis.suggest_eval import evaluate as replay
    from qcoder.analysis.writers import FORMATS, render, write_file
    from qcoder.coding.suggest_model import record_provenance

    chosen = fmt or format_for_path(output) or "text"
    if chosen not in FORMATS:
        raise QcoderError(f"unknown format {chosen!r}; use one of: {', '.join(FORMATS)}")
    if chosen in ("xlsx", "docx") and output is None:
        raise QcoderError(f"--format {chosen} writes a file; add -o FILE.{chosen}")
    settings = _settings(seed, threshold)
    with project(_db(db), create=False) as opened:
        with opened.session() as session:
            tables, record = replay(session, coder, settings)
        opened.run(lambda session: record_provenance(session, record, record["coder"]))
    content = render(tables, chosen)
    if output is None:
        typer.echo(content, nl=False)
        return
    write_file(content, output, chosen)
    typer.echo(f"wrote {output} ({chosen})")


suggest_app.command("show")(show)
suggest_app.command("run")(run)
suggest_app.command("evaluate")(evaluate)
