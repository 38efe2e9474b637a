"""Coders: every coding, memo and review belongs to one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qcoder.coding.coder_name import clean_coder_name
from qcoder.errors import NotFound
from qcoder.store.models import Coder


def find_coder(session: Session, name: str) -> Coder:
    coder = session.scalar(select(Coder).where(Coder.name == clean_coder_name(name)))
    if coder is None:
        known = ", ".join(session.scalars(select(Coder.name).order_by(Coder.name))) or "none yet"
        raise NotFound(f"no coder named {name!r} (coders: {known})")
    return coder


def get_or_create_coder(session: Session, name: str) -> Coder:
    cleaned = clean_coder_name(name)
    query = select(Coder).where(Coder.name == cleaned)
    coder = session.scalar(query)
    if coder is None:
        try:
            with session.begin_nested():  # on PostgreSQL another session may insert it first
                coder = Coder(name=cleaned)
                session.add(coder)
        except IntegrityError:
            coder = session.scalar(query)
            if coder is None:
                raise
    return coder


def list_coders(session: Session) -> list[Coder]:
    return list(session.scalars(select(Coder).order_by(Coder.id)))
