"""Reconciliation: list where two coders disagree and settle each statement into a consensus coder.

Why a consensus *coder*: after measuring agreement, GT teams discuss each disagreement
and keep a final coding. Storing it as one more coder (default name "consensus") lets
every analysis, export and agreement check use it like any other coder's work.

A disagreement is a statement in a document both coders reviewed on which their sets of
chosen codes (rolled up to the chosen level or codes) differ. Accepting A, B, both or
neither writes the consensus coder's codings on that statement — the *actual* codes the
accepted coder(s) applied within the chosen codes' subtrees, so detail below the level is
kept — and logs a ``reconcile.decide`` event, which is what makes progress durable: the
event names the coder pair, the consensus coder and the choice of codes (``scope``).
An optional memo is attached to the statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from qcoder.coding.agreement_units import AgreementRequest, CodeScope, UnitData, code_scope, load_codings, load_units
from qcoder.coding.coders import clean_coder_name, find_coder, get_or_create_coder
from qcoder.coding.codings import add_codings, codes_on_sentences, hold_review, remove_codings
from qcoder.coding.memos import add_memo
from qcoder.coding.statements import resolve_statements
from qcoder.errors import QcoderError
from qcoder.store import team
from qcoder.store.events import log_event
from qcoder.store.lookup import get_or_not_found
from qcoder.store.models import Code, Coder, Document, DocumentReview, Event, Memo, Sentence

CHOICES = ("a", "b", "both", "neither")
DECIDE = "reconcile.decide"
DEFAULT_CONSENSUS = "consensus"
MEMO_TITLE = "reconciliation"
_CHUNK = 500


@dataclass(frozen=True)
class Disagreement:
    """One statement the two coders coded differently, side by side."""

    sentence_id: int
    label: str  # D03-S017
    document_label: str
    text: str
    codes: tuple[tuple[str, ...], tuple[str, ...]]  # chosen codes per coder (rolled up)
    applied: tuple[tuple[str, ...], tuple[str, ...]]  # the codes each coder actually applied (within scope)
    consensus: tuple[str, ...]  # the consensus coder's current codes there (within scope)
    decision: str | None  # the latest choice recorded for this statement, if any


@dataclass(frozen=True)
class ReconcileState:
    coders: tuple[str, str]
    consensus: str
    scope: str  # the scope key decisions are recorded under
    items: list[Disagreement]

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def decided(self) -> int:
        return sum(1 for item in self.items if item.decision is not None)

    def progress(self) -> str:
        return f"{self.decided}/{self.total}"


@dataclass(frozen=True)
class Resolution:
    sentence_id: int
    label: str
    choice: str
    codes: tuple[str, ...]  # the consensus coder's codes on the statement now (within scope)
    added: tuple[str, ...]
    removed: tuple[str, ...]
    memo_id: int | None


# --------------------------------------------------------------------------- listing


def _two_coders(request: AgreementRequest) -> AgreementRequest:
    if len(dict.fromkeys(request.coders)) != 2:
        raise QcoderError("reconciliation compares exactly two coders, e.g. --coders 小王,小李")
    return request


def disagreement_units(data: UnitData) -> tuple[list[int], list[list[frozenset[int] | None]]]:
    """Indices of units both coders reviewed with different code sets, and all unit sets."""
    sets = data.unit_sets()
    found = [u for u, (a, b) in enumerate(sets) if a is not None and b is not None and a != b]
    return found, sets


def disagreements(session: Session, request: AgreementRequest, consensus: str = DEFAULT_CONSENSUS) -> ReconcileState:
    """Every statement the two coders coded differently, with decisions recorded so far."""
    return disagreements_from_units(session, load_units(session, _two_coders(request)), consensus)


def disagreements_from_units(session: Session, data: UnitData, consensus: str = DEFAULT_CONSENSUS) -> ReconcileState:
    """The same from unit data already loaded for two coders (the TUI loads once for both views)."""
    if len(data.coders) != 2:
        raise QcoderError("reconciliation compares exactly two coders, e.g. --coders 小王,小李")
    consensus = clean_coder_name(consensus)
    if consensus in data.coders:
        raise QcoderError(f"the consensus coder must not be one of the coders compared ({consensus!r})")
    units, sets = disagreement_units(data)
    sentence_ids = [int(data.sentence_ids[u]) for u in units]
    consensus_row = session.scalar(select(Coder).where(Coder.name == consensus))
    consensus_id = consensus_row.id if consensus_row else None
    decided = _decisions(session, data.coder_ids, consensus_id, data.scope.key) if consensus_id else {}
    info = _sentence_info(session, sentence_ids)
    applied = _applied(session, sentence_ids, data, [*data.coder_ids, consensus_id or -1])
    labels = [c.label for c in data.codes]
    items = []
    for u, sid in zip(units, sentence_ids):
        a, b = sets[u]
        label, doc_label, text = info[sid]
        per_coder = applied.get(sid, {})
        items.append(
            Disagreement(
                sentence_id=sid,
                label=label,
                document_label=doc_label,
                text=text,
                codes=(tuple(labels[i] for i in sorted(a or ())), tuple(labels[i] for i in sorted(b or ()))),
                applied=(per_coder.get(data.coder_ids[0], ()), per_coder.get(data.coder_ids[1], ())),
                consensus=per_coder.get(consensus_id or -1, ()),
                decision=decided.get(sid),
            )
        )
    return ReconcileState((data.coders[0], data.coders[1]), consensus, data.scope.key, items)


def _decisions(session: Session, coder_ids: Sequence[int], consensus_id: int, scope: str) -> dict[int, str]:
    """sentence id -> latest choice recorded for this pair, consensus coder and scope."""
    found: dict[int, str] = {}
    pair = sorted(coder_ids)
    for payload in session.scalars(select(Event.payload).where(Event.action == DECIDE).order_by(Event.id)):
        if (
            sorted(payload.get("coders", [])) == pair
            and payload.get("consensus_id") == consensus_id
            and payload.get("scope") == scope
        ):
            choice = payload.get("choice")
            if payload.get("coders", [])[:1] != [coder_ids[0]]:  # recorded with A and B the other way round
                choice = {"a": "b", "b": "a"}.get(choice, choice)
            found[int(payload["sentence_id"])] = choice
    return found


def _sentence_info(session: Session, sentence_ids: Sequence[int]) -> dict[int, tuple[str, str, str]]:
    found: dict[int, tuple[str, str, str]] = {}
    for start in range(0, len(sentence_ids), _CHUNK):
        chunk = list(sentence_ids[start : start + _CHUNK])
        query = (
            select(Sentence.id, Sentence.label, Document.label, Sentence.text)
            .join(Document, Document.id == Sentence.document_id)
            .where(Sentence.id.in_(chunk))
        )
        found.update((sid, (label, doc, text)) for sid, label, doc, text in session.execute(query))
    return found


def _applied(
    session: Session, sentence_ids: Sequence[int], data: UnitData, coder_ids: Sequence[int]
) -> dict[int, dict[int, tuple[str, ...]]]:
    """sentence id -> coder id -> names of the codes they applied within the scope, sorted.

    One packed query over the chosen documents (as the agreement loader does), then a
    filter to the disagreements: far cheaper than per-statement look-ups for thousands.
    """
    if not sentence_ids:
        return {}
    scope = sorted(data.scope.ids)
    query = select(Code.id, Code.name)
    if len(scope) <= _CHUNK:
        query = query.where(Code.id.in_(scope))
    names = dict(session.execute(query).all())
    doc_ids = np.array([d.id for d in data.documents], dtype=np.int64)
    known = [c for c in coder_ids if c >= 0]
    rows = load_codings(session, known, doc_ids, scope)
    rows = rows[np.isin(rows[:, 0], np.asarray(sentence_ids)) & np.isin(rows[:, 1], scope)]
    out: dict[int, dict[int, list[str]]] = {}
    for sid, code_id, coder_id in rows.tolist():
        out.setdefault(sid, {}).setdefault(coder_id, []).append(names[code_id])
    return {sid: {c: tuple(sorted(v)) for c, v in per.items()} for sid, per in out.items()}


# --------------------------------------------------------------------------- deciding


def _sentence(session: Session, statement: int | str) -> Sentence:
    if isinstance(statement, int) or (isinstance(statement, str) and statement.isdigit()):
        return get_or_not_found(session, Sentence, int(statement), f"no statement #{statement}")
    return resolve_statements(session, [statement])[0]


def _scope_codes(session: Session, sentence_id: int, coder_id: int, scope: CodeScope) -> set[int]:
    pairs = codes_on_sentences(session, [sentence_id], coder_id).get(sentence_id, [])
    return {code_id for code_id, _ in pairs if code_id in scope.ids}


def _check_reviewed(session: Session, coder: Coder, document_id: int) -> None:
    """Refuse a decision on codes the coder has not called final; the review is held until the decision ends.

    Held on PostgreSQL (``hold_review``, shared): the coder un-marking the document at that moment
    waits for the decision and then un-marks it, or the decision waits for the un-marking and is then
    refused — never a consensus taken from codes their coder had just said were not final.
    """
    hold_review(session, document_id, coder.id, exclusive=False)
    reviewed = session.scalar(
        select(DocumentReview.id).where(DocumentReview.coder_id == coder.id, DocumentReview.document_id == document_id)
    )
    if reviewed is None:
        label = session.scalar(select(Document.label).where(Document.id == document_id))
        raise QcoderError(f"{coder.name} has not marked {label} reviewed; their codes there are not final")


def _hold_decision(session: Session, consensus_id: int, sentence_id: int) -> None:
    """On PostgreSQL, decisions on one statement for one consensus coder are taken one at a time.

    A decision reads the consensus coder's codes, then removes and adds the difference; two
    reconcilers deciding the same statement at once would each read "no consensus yet" and
    leave a mix of both decisions. The second now waits, then reads the first one's result and
    replaces it, so the statement carries exactly the decision logged last. (SQLite: one writer.)
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('qcoder.consensus'), :key)"),
            {"key": (sentence_id * 100_003 + consensus_id) % 2_147_483_647},
        )


def resolve(
    session: Session,
    request: AgreementRequest,
    statement: int | str,
    choice: str,
    *,
    consensus: str = DEFAULT_CONSENSUS,
    memo: str | None = None,
    by: str | None = None,
) -> Resolution:
    """Write the consensus coder's codes on one statement from A, B, both or neither, and record it.

    Only codes within the chosen codes' subtrees are touched; the consensus coder's other
    codes on the statement stay. ``by`` names who decided (the memo's author; default the
    consensus coder).
    """
    choice = choice.strip().lower()
    if choice not in CHOICES:
        raise QcoderError(f"--accept takes one of: {', '.join(CHOICES)}")
    _two_coders(request)
    if team.own_role(session) is not None:  # on a team server the decision is logged as the login's own
        by = team.required_coder(session, by or team.login(session))
    a, b = (find_coder(session, name) for name in request.coders)
    consensus_coder = get_or_create_coder(session, consensus)
    if consensus_coder.id in (a.id, b.id):
        raise QcoderError(f"the consensus coder must not be one of the coders compared ({consensus_coder.name!r})")
    author = get_or_create_coder(session, by) if by else consensus_coder
    scope = code_scope(session, request)
    sentence = _sentence(session, statement)
    _hold_decision(session, consensus_coder.id, sentence.id)
    accepted = {"a": [a], "b": [b], "both": [a, b], "neither": []}[choice]
    target: set[int] = set()
    for coder in accepted:
        _check_reviewed(session, coder, sentence.document_id)
        target |= _scope_codes(session, sentence.id, coder.id, scope)
    current = _scope_codes(session, sentence.id, consensus_coder.id, scope)
    for code_id in sorted(current - target):
        remove_codings(session, [sentence.id], code_id, consensus_coder.id)
    for code_id in sorted(target - current):
        add_codings(session, [sentence.id], code_id, consensus_coder.id)
    log_event(
        session,
        author.id,
        DECIDE,
        sentence_id=sentence.id,
        coders=[a.id, b.id],
        consensus_id=consensus_coder.id,
        scope=scope.key,
        choice=choice,
        codes=sorted(target),
    )
    memo_id = None
    if memo and memo.strip():
        memo_id = add_memo(
            session,
            memo.strip(),
            type_="operational",
            target="sentence",
            target_id=sentence.id,
            title=f"{MEMO_TITLE} {a.name}/{b.name}: {choice}",
            coder=author,
        ).id
    names = dict(session.execute(select(Code.id, Code.name).where(Code.id.in_(sorted(target | current)))).all())
    return Resolution(
        sentence_id=sentence.id,
        label=sentence.label,
        choice=choice,
        codes=tuple(sorted(names[c] for c in target)),
        added=tuple(sorted(names[c] for c in target - current)),
        removed=tuple(sorted(names[c] for c in current - target)),
        memo_id=memo_id,
    )


def reconciliation_memos(session: Session, sentence_id: int) -> list[str]:
    """Texts of the reconciliation memos on a statement, oldest first."""
    query = (
        select(Memo.text).where(Memo.sentence_id == sentence_id, Memo.title.startswith(MEMO_TITLE)).order_by(Memo.id)
    )
    return list(session.scalars(query))
