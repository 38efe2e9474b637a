"""The codings the event log says should exist: every acknowledged coding, replayed.

Every change to codings is logged in the transaction that makes it (add, remove, and the
code-tree changes that move or delete codings), so replaying the log in order gives the
set of codings that were acknowledged and not taken back by a logged change. A coding in
that set but missing from the table was lost without a word: ``qcoder db check`` says so.
Events of older qcoders that did not list the codings they moved are replayed by what the
change means (a merge moves every coding of the source).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from qcoder.store.models import Event

Key = tuple[int, int, int]  # sentence id, code id, coder id


def expected_codings(connection: Connection) -> dict[Key, int]:
    """(sentence, code, coder) → the id of the event that last put it there."""
    state: dict[Key, int] = {}
    query = select(Event.id, Event.action, Event.coder_id, Event.payload).order_by(Event.id)
    for event_id, action, coder_id, raw in connection.execute(query):
        payload: Any = json.loads(raw) if isinstance(raw, str) else raw
        if isinstance(payload, dict):
            _apply(state, event_id, action, coder_id, payload)
    return state


def _apply(state: dict[Key, int], event_id: int, action: str, coder_id: int | None, p: dict[str, Any]) -> None:
    if action == "coding.add" and coder_id is not None:
        for sid in p.get("sentence_ids", []):
            state[(int(sid), int(p["code_id"]), coder_id)] = event_id
    elif action == "coding.remove" and coder_id is not None:
        for sid in p.get("sentence_ids", []):
            state.pop((int(sid), int(p["code_id"]), coder_id), None)
    elif action == "code.merge":
        source, target = int(p["source_id"]), int(p["target_id"])
        if "moved_codings" in p:
            _move(state, event_id, source, target, ((s, c) for _id, s, c in p["moved_codings"]))
            for row in p.get("dropped_codings", []):
                state.pop((int(row["sentence_id"]), source, int(row["coder_id"])), None)
        else:
            _move(state, event_id, source, target, [(s, c) for s, code, c in state if code == source])
    elif action == "code.unmerge":
        source, target = int(p["source_id"]), int(p["target_id"])
        _move(state, event_id, target, source, ((s, c) for _id, s, c in p.get("moved_codings", [])))
        for _id, sid, coder in p.get("restored_codings", []):
            state[(int(sid), source, int(coder))] = event_id
    elif action == "code.split":
        code, new = int(p["code_id"]), int(p["new_code_id"])
        if "moved_codings" in p:
            _move(state, event_id, code, new, ((s, c) for _id, s, c in p["moved_codings"]))
        else:
            chosen = {int(s) for s in p.get("sentence_ids", [])}
            _move(state, event_id, code, new, [(s, c) for s, k, c in state if k == code and s in chosen])
    elif action == "code.unsplit":
        _move(
            state,
            event_id,
            int(p["new_code_id"]),
            int(p["code_id"]),
            ((s, c) for _id, s, c in p.get("moved_codings", [])),
        )
    elif action == "code.delete":
        code = int(p["code_id"])
        for key in [key for key in state if key[1] == code]:
            del state[key]
    elif action == "code.undelete":
        for _id, sid, coder in p.get("restored_codings", []):
            state[(int(sid), int(p["code_id"]), int(coder))] = event_id


def _move(state: dict[Key, int], event_id: int, source: int, target: int, pairs: Iterable[tuple[int, int]]) -> None:
    for sid, coder in list(pairs):
        if state.pop((int(sid), source, int(coder)), None) is not None:
            state[(int(sid), target, int(coder))] = event_id
