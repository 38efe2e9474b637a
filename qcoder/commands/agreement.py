"""CLI commands for inter-coder agreement and reconciliation: ``qcoder agree`` and ``qcoder reconcile``.

Annotations are evaluated eagerly (no ``from __future__ import annotations``): typer reads
them. Numpy and the writers load only when a command runs, so ``qcoder --help`` stays fast.
"""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from qcoder.commands.common import DbOption, project
from qcoder.errors import QcoderError

_SUFFIX_FORMATS = {".txt": "text", ".md": "md", ".csv": "csv", ".json": "json", ".xlsx": "xlsx", ".docx": "docx"}

CodersOption = Annotated[str, typer.Option("--coders", help="Coders to compare, comma-separated: A,B[,C]")]
LevelOption = Annotated[
    str | None, typer.Option("--level", help="Level of the codes (0-3, concept, 初始范畴, …); default the lowest")
]
CodesOption = Annotated[
    str | None, typer.Option("--codes", help="Only these codes, comma-separated (subcodes roll up)")
]
DocumentsOption = Annotated[
    str | None,
    typer.Option(
        "--documents", help="Documents, comma-separated (default: those reviewed by at least two of the coders)"
    ),
]


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.replace("，", ",").split(",") if part.strip())


def _request(coders: str, level: str | None, codes: str | None, documents: str | None, **extra: Any) -> Any:
    from qcoder.analysis.agreement import AgreementRequest

    return AgreementRequest(
        coders=_split(coders), level=level, codes=_split(codes), documents=_split(documents), **extra
    )


def _format(fmt: str | None, output: Path | None) -> str:
    if fmt:
        return fmt
    if output is not None:
        return _SUFFIX_FORMATS.get(output.suffix.lower(), "text")
    return "text"


def agree(
    coders: CodersOption,
    level: LevelOption = None,
    codes: CodesOption = None,
    documents: DocumentsOption = None,
    db: DbOption = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help="text, md, csv, json, xlsx or docx (default: from -o, else text)")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file")] = None,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="Bootstrap resamples for alpha's CI (0: none)")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the bootstrap")] = 0,
    confidence: Annotated[float, typer.Option("--confidence", help="Confidence level of the CI")] = 0.95,
    confusion: Annotated[
        bool, typer.Option("--confusion", help="Add the confusion table of the first two coders")
    ] = False,
) -> None:
    """Inter-coder agreement per code and overall, with a method paragraph for the paper."""
    from qcoder.analysis.agreement import agreement_report, confusion_from_units
    from qcoder.analysis.agreement_output import FORMATS, render_report
    from qcoder.analysis.writers import write_file

    chosen = _format(fmt, output)
    if chosen not in FORMATS:
        raise QcoderError(f"unknown format {chosen!r}; use one of: {', '.join(FORMATS)}")
    if chosen in ("xlsx", "docx") and output is None:
        raise QcoderError(f"--format {chosen} writes a file; add -o FILE.{chosen}")
    if bootstrap < 0:
        raise QcoderError("--bootstrap takes a number of resamples (0 for none)")
    if not 0.0 < confidence < 1.0:
        raise QcoderError("--confidence is between 0 and 1, e.g. 0.95")
    request = _request(coders, level, codes, documents, bootstrap=bootstrap, seed=seed, confidence=confidence)
    with project(db, create=False) as opened, opened.session() as session:
        report = agreement_report(session, request)
    view = confusion_from_units(report.data) if confusion else None
    content = render_report(report, chosen, view)
    if output is None:
        typer.echo(content, nl=False)
        return
    write_file(content, output, chosen)
    typer.echo(f"wrote {output} ({len(report.rows)} codes, {report.data.n_units} statements)")


def reconcile(
    coders: CodersOption,
    statement: Annotated[str | None, typer.Argument(help="Statement ID to decide (D03-S017)")] = None,
    level: LevelOption = None,
    codes: CodesOption = None,
    documents: DocumentsOption = None,
    db: DbOption = None,
    accept: Annotated[
        str | None, typer.Option("--accept", help="a, b, both or neither: whose codes the consensus keeps")
    ] = None,
    memo: Annotated[str | None, typer.Option("--memo", help="A note on the decision (kept on the statement)")] = None,
    consensus: Annotated[str, typer.Option("--consensus", help="The consensus coder's name")] = "consensus",
    by: Annotated[str | None, typer.Option("--by", help="Who decided (author of the memo)")] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the disagreements (the default without a statement)")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """List where two coders disagree, or settle one statement into the consensus coder."""
    from qcoder.coding.reconcile import disagreements, resolve

    if fmt not in ("text", "json"):
        raise QcoderError(f"unknown format {fmt!r}; use text or json")
    request = _request(coders, level, codes, documents)
    if statement is not None and not list_:
        if accept is None:
            raise QcoderError("say whose codes to keep: --accept a|b|both|neither")
        with project(db) as opened:
            done = opened.run(lambda s: resolve(s, request, statement, accept, consensus=consensus, memo=memo, by=by))
            with opened.session() as session:
                progress = disagreements(session, request, consensus).progress()
        if fmt == "json":
            typer.echo(json.dumps({**done.__dict__, "progress": progress}, ensure_ascii=False, indent=2))
            return
        typer.echo(
            f"{done.label}: accepted {done.choice}; {consensus} now has "
            f"{', '.join(done.codes) or 'no code'} there"
            + (f" (+{', '.join(done.added)})" if done.added else "")
            + (f" (−{', '.join(done.removed)})" if done.removed else "")
            + f"; decided {progress}"
        )
        return
    with project(db, create=False) as opened, opened.session() as session:
        state = disagreements(session, request, consensus)
    if fmt == "json":
        payload = {
            "coders": list(state.coders),
            "consensus": state.consensus,
            "scope": state.scope,
            "decided": state.decided,
            "total": state.total,
            "items": [item.__dict__ for item in state.items],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    a, b = state.coders
    for item in state.items:
        mark = f"[{item.decision}]" if item.decision else "[ ]"
        typer.echo(f"{item.label} {mark} {item.text}")
        typer.echo(f"    {a}: {_codes_text(item.codes[0], item.applied[0])}")
        typer.echo(f"    {b}: {_codes_text(item.codes[1], item.applied[1])}")
    typer.echo(
        f"decided {state.decided} of {state.total} disagreements between {a} and {b} "
        f"(consensus coder: {state.consensus})"
    )


def _codes_text(chosen: tuple[str, ...], applied: tuple[str, ...]) -> str:
    """Chosen (rolled-up) codes, with the codes actually applied when they differ."""
    text = ", ".join(chosen) or "—"
    if applied and sorted(applied) != sorted(chosen):
        text += f"  ({', '.join(applied)})"
    return text
